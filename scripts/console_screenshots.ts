// Takes docs/admin.md's screenshots of the operator console (overview, a
// topic's details and the ACL panel) with Chromium against a real hub fed by
// a few real clients.
//
//   deno run --allow-all scripts/console_screenshots.ts
//
// Writes docs/console-overview.png, docs/console-topic.png and docs/console-acl.png.

import type { Page } from "playwright-core";
import { formatRules } from "../src/admin/console/_acl.ts";
import { loadDevKey } from "../src/auth/dev_key.ts";
import { mintToken } from "../src/auth/mint.ts";
import { connectWelcomed, type TestSocket } from "../tests/_support/client.ts";
import { launchBrowser } from "../tests/e2e/_browser.ts";
import { freePort, startHubProcess } from "../tests/e2e/_server.ts";
import { CONSOLE_RULES } from "../tests/e2e/_console_rules.ts";

const ADMIN_KEY = "screenshot-admin-key-0123456789";
const SECONDS = 40;
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank"];
const TOPICS = ["chat:lobby", "chat:ops", "chat:random", "chat:support"];

async function nextSnapshot(page: Page): Promise<void> {
  const seen = Number(await page.getAttribute("body", "data-snapshots") ?? "0");
  await page.waitForFunction(
    (n) =>
      Number(
        (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } })
          .document.body.dataset.snapshots ?? "0",
      ) > n,
    seen,
    { timeout: 5000 },
  );
}

const dir = await Deno.makeTempDir({ prefix: "realtime-console-shots-" });
const config = `${dir}/config.json`;
await Deno.writeTextFile(config, JSON.stringify({ acl: { rules: CONSOLE_RULES } }));
const hub = await startHubProcess(dir, freePort(), {
  env: { REALTIME_CONFIG: config, REALTIME_ADMIN_KEY: ADMIN_KEY },
});
const sockets: TestSocket[] = [];
try {
  const secret = (await loadDevKey(`${dir}/.realtime`))!;
  await using browser = await launchBrowser();
  const page = await browser.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(hub.url + "/admin");
  await page.fill("#credential", ADMIN_KEY);
  await page.click("#sign-in");
  await page.waitForSelector('#stream-state[data-state="live"]');

  // Clients join over the first seconds and publish at a varying rate.
  const ws = hub.url.replace("http:", "ws:") + "/ws";
  let id = 0;
  for (let second = 0; second < SECONDS; second++) {
    if (second < USERS.length) {
      const sub = USERS[second];
      const name = sub[0].toUpperCase() + sub.slice(1);
      const token = await mintToken(
        { sub, acl: { "chat:*": ["subscribe", "publish"] }, info: { name } },
        { secret },
        { ttl: "1h" },
      );
      // Alice has the console open in two tabs: two connections, one user.
      for (let tab = 0; tab < (sub === "alice" ? 2 : 1); tab++) {
        const [socket] = await connectWelcomed(ws, {
          protocols: ["realtime.v1", "auth", token],
        });
        for (const topic of TOPICS.slice(0, 1 + (second % TOPICS.length))) {
          await socket.request({ type: "subscribe", id: ++id, topic });
        }
        sockets.push(socket);
      }
    }
    const burst = Math.round(10 + 8 * Math.sin(second / 4) + (second % 7));
    for (let i = 0; i < burst; i++) {
      const from = sockets[i % sockets.length];
      from.send({ type: "publish", id: ++id, topic: TOPICS[i % 2], payload: { n: i } });
    }
    await nextSnapshot(page);
  }
  await page.screenshot({ path: "docs/console-overview.png" });

  // A few chat lines on the lobby, one with HTML in it (shown as text), then its details.
  const lines: [number, unknown][] = [
    [1, { text: "deploy of v2.3 is done" }],
    [2, { text: "<b>bold?</b> no: text" }],
    [3, { text: "thanks!", reply: 41 }],
  ];
  for (const [from, payload] of lines) {
    await sockets[from].request({ type: "publish", id: ++id, topic: "chat:lobby", payload });
  }
  const lobby = page.locator('#topics-body tr[data-topic="chat:lobby"]');
  await lobby.focus();
  await page.keyboard.press("Enter");
  await page.locator("#topic-detail .presence-summary").waitFor();
  await page.locator('#topic-detail [data-section="Recent history"] tr[data-offset]').first()
    .waitFor();
  await page.locator("#topics-panel").screenshot({ path: "docs/console-topic.png" });

  await page.fill("#explain-claims", '{"sub": "bob"}');
  await page.selectOption("#explain-action", "publish");
  await page.fill("#explain-topic", "chat:announce");
  await page.click("#explain");
  await page.waitForSelector('#explain-result[data-decision="denied"]');
  const draft = [...CONSOLE_RULES, {
    id: "ops-only",
    effect: "allow",
    actions: ["subscribe"],
    topics: ["chat:ops"],
  }];
  await page.fill("#rules-json", formatRules(draft));
  await page.click("#rules-check");
  await page.locator("#rules-summary", { hasText: "rules checked" }).waitFor();
  await page.locator("#acl-panel").screenshot({ path: "docs/console-acl.png" });
} finally {
  for (const socket of sockets) await socket.close().catch(() => {});
  await hub.stop();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
