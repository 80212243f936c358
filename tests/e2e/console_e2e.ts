// The operator console in Chromium against the hub as a real subprocess:
// sign-in refused then accepted, live counters, disconnect (4003), ACL
// explain naming the deny rule, a rules change linted before it applies,
// HTML shown as text, phone width, and no credential kept anywhere.
//
// Run with `deno task e2e`.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { loadDevKey } from "../../src/auth/dev_key.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { connectWelcomed, type TestSocket, withTimeout } from "../_support/client.ts";
import { launchBrowser } from "./_browser.ts";
import { CONSOLE_RULES } from "./_console_rules.ts";
import { freePort, type HubProcess, startHubProcess } from "./_server.ts";

const ADMIN_KEY = "console-e2e-admin-key-0123456789";

interface PageGlobals {
  document: { body: { dataset: Record<string, string | undefined> }; cookie: string };
  localStorage: { length: number };
  sessionStorage: { length: number };
}

/** Waits until the tile of `metric` shows a value satisfying `check`. */
async function waitForTile(
  page: Page,
  metric: string,
  check: (value: number) => boolean,
  timeout = 10_000,
): Promise<void> {
  const started = Date.now();
  while (true) {
    const text = await page.textContent(`#m-${metric}`);
    const value = Number(text);
    if (text !== null && text !== "–" && Number.isFinite(value) && check(value)) return;
    if (Date.now() - started > timeout) {
      throw new Error(`Tile ${metric} shows '${text}' after ${timeout} ms`);
    }
    // Tiles change once per snapshot: wait for the next one, not a fixed time.
    const seen = Number(await page.getAttribute("body", "data-snapshots") ?? "0");
    await page.waitForFunction(
      (n) =>
        Number(
          (globalThis as unknown as PageGlobals).document.body.dataset.snapshots ?? "0",
        ) > n,
      seen,
      { timeout: 5000 },
    );
  }
}

async function signIn(page: Page, credential: string): Promise<void> {
  await page.bringToFront();
  // Keyboard only: the field has the focus on load, Enter submits.
  await page.focus("#credential");
  await page.keyboard.type(credential);
  await page.keyboard.press("Enter");
}

/** Opens a client connection with a development-key token. */
async function client(hub: HubProcess, secret: Uint8Array, sub: string): Promise<TestSocket> {
  const token = await mintToken(
    { sub, acl: { "chat:*": ["subscribe", "publish"] } },
    { secret },
    { ttl: "1h" },
  );
  const ws = hub.url.replace("http:", "ws:") + "/ws";
  const [socket] = await connectWelcomed(ws, { protocols: ["realtime.v1", "auth", token] });
  return socket;
}

Deno.test({
  name: "operator console: sign-in, live data, disconnect, ACL and safety in Chromium",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "realtime-console-e2e-" });
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(config, JSON.stringify({ acl: { rules: CONSOLE_RULES } }));
    const hub = await startHubProcess(dir, freePort(), {
      env: { REALTIME_CONFIG: config, REALTIME_ADMIN_KEY: ADMIN_KEY },
    });
    const sockets: TestSocket[] = [];
    try {
      const secret = await loadDevKey(`${dir}/.realtime`);
      assert.ok(secret !== undefined, "the hub created its development key");
      await using browser = await launchBrowser();
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      page.on("console", (msg) => {
        if (msg.type() === "error") pageErrors.push(msg.text());
      });
      page.on("dialog", (dialog) => {
        pageErrors.push(`unexpected native dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });

      await t.step("the page is served with a strict CSP", async () => {
        const response = await page.goto(hub.url + "/admin");
        assert.equal(response?.status(), 200);
        const csp = response?.headers()["content-security-policy"] ?? "";
        assert.match(csp, /script-src 'self'/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
        await page.waitForSelector("body.ready");
      });

      await t.step("a wrong key is refused and shows why", async () => {
        await signIn(page, "not-the-admin-key-at-all");
        await page.locator("#signin-error", { hasText: "Refused" }).waitFor();
        assert.equal(await page.getAttribute("body", "data-state"), "signed-out");
        assert.equal(await page.isHidden("#console"), true);
        assert.equal(await page.inputValue("#credential"), "", "a refused key is not kept");
      });

      await t.step("the right key signs in and the stream goes live", async () => {
        await signIn(page, ADMIN_KEY);
        await page.waitForSelector('body[data-state="signed-in"]');
        await page.waitForSelector('#stream-state[data-state="live"]');
        await waitForTile(page, "connections", (n) => n === 0);
      });

      await t.step("live counters move when clients connect and publish", async () => {
        const alice = await client(hub, secret, "alice");
        const bob = await client(hub, secret, "bob");
        sockets.push(alice, bob);
        await waitForTile(page, "connections", (n) => n === 2);
        await waitForTile(page, "users", (n) => n === 2);
        await bob.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
        await waitForTile(page, "subscriptions", (n) => n === 1);
        // Bounded: 20 publishes, each acknowledged, then the rate tile must move.
        for (let i = 0; i < 20; i++) {
          await alice.request({ type: "publish", id: 100 + i, topic: "chat:lobby", payload: i });
        }
        await waitForTile(page, "messagesInPerSecond", (n) => n > 0);
        await waitForTile(page, "messagesOutPerSecond", (n) => n > 0);
        await page.locator('#topics-body tr[data-topic="chat:lobby"]').waitFor();
        const path = await page.getAttribute("#p-connections", "d");
        assert.ok(path !== null && path.startsWith("M"), `sparkline drawn: ${path}`);
      });

      await t.step(
        "a connection appears in the table and Disconnect closes it with 4003",
        async () => {
          const carol = await client(hub, secret, "carol");
          sockets.push(carol);
          const row = page.locator('#connections-body tr[data-user="carol"]');
          await row.waitFor();
          assert.match(await row.textContent() ?? "", /127\.0\.0\.1/);
          await page.fill("#connections-search", "caro");
          assert.equal(await page.locator("#connections-body tr").count(), 1);
          await row.getByRole("button", { name: "Disconnect user carol" }).click();
          await page.waitForSelector("#confirm-dialog[open]");
          await page.click("#confirm-yes");
          const closed = await withTimeout(carol.closed, 5000, "carol's close");
          assert.equal(closed.code, 4003);
          await page.locator("#connections-status", { hasText: "Disconnected 'carol'" }).waitFor();
          await row.waitFor({ state: "detached" });
          await page.fill("#connections-search", "");
        },
      );

      await t.step("Cancel in the confirmation changes nothing", async () => {
        const row = page.locator('#connections-body tr[data-user="alice"]');
        await row.getByRole("button", { name: "Revoke user alice" }).click();
        await page.waitForSelector("#confirm-dialog[open]");
        await page.keyboard.press("Escape");
        await page.locator("#confirm-dialog").waitFor({ state: "hidden" });
        const still = await sockets[0].request({ type: "subscribe", id: 7, topic: "chat:x" });
        assert.equal(still.type, "ack", "alice is still connected");
      });

      await t.step("the ACL panel explains a denial by naming the deny rule", async () => {
        await page.fill("#explain-claims", '{"sub": "bob"}');
        await page.selectOption("#explain-action", "publish");
        await page.fill("#explain-topic", "chat:announce");
        await page.click("#explain");
        const result = page.locator('#explain-result[data-decision="denied"]');
        await result.waitFor();
        assert.match(
          await result.textContent() ?? "",
          /^Denied by rule #1 'no-announce' \(deny publish chat:announce\)$/,
        );
      });

      await t.step("a rules change is linted before it applies", async () => {
        await page.locator("#rules-json").waitFor();
        const current = JSON.parse(await page.inputValue("#rules-json"));
        assert.deepEqual(current, CONSOLE_RULES);
        const bad = [...CONSOLE_RULES, {
          id: "broken",
          effect: "allow",
          actions: ["subscribe"],
          topics: ["news:**:x"],
        }];
        await page.fill("#rules-json", JSON.stringify(bad, null, 2));
        assert.equal(await page.isDisabled("#rules-apply"), true, "no apply before a check");
        await page.click("#rules-check");
        await page.locator('#rules-issues li[data-severity="error"]').first().waitFor();
        assert.equal(await page.isDisabled("#rules-apply"), true, "no apply with errors");
        const good = [...CONSOLE_RULES, {
          id: "news",
          effect: "allow",
          actions: ["subscribe"],
          topics: ["news:*"],
        }];
        await page.fill("#rules-json", JSON.stringify(good, null, 2));
        await page.click("#rules-check");
        await page.locator("#rules-summary", { hasText: "0 errors" }).waitFor();
        assert.match(await page.inputValue("#rules-json"), /"news:\*"/);
        await page.click("#rules-apply");
        await page.waitForSelector("#confirm-dialog[open]");
        await page.click("#confirm-yes");
        await page.locator("#rules-summary", { hasText: "Applied: 3 rules" }).waitFor();
        const bob = sockets[1];
        const reply = await bob.request({ type: "subscribe", id: 9, topic: "news:today" });
        assert.equal(reply.type, "ack", "the new rule is in force");
      });

      await t.step("a payload and a user name containing HTML show as text", async () => {
        const html = `<img src=x id=injected><b>bold</b>`;
        await page.fill("#publish-topic", "chat:lobby");
        await page.fill("#publish-payload", JSON.stringify({ html }));
        await page.click("#publish");
        const result = page.locator("#publish-result", { hasText: "Published" });
        await result.waitFor();
        assert.ok((await result.textContent())?.includes("<b>bold</b>"));
        const got = await sockets[1].next((f) =>
          f.type === "message" && f.topic === "chat:lobby" && typeof f.payload === "object"
        );
        assert.equal(got.payload.html, html);
        const eve = await client(hub, secret, "<i>eve</i>");
        sockets.push(eve);
        const cell = page.locator("#connections-body td", { hasText: "<i>eve</i>" });
        await cell.waitFor();
        assert.equal(
          await page.locator("#injected, #publish-result b, #connections-body i").count(),
          0,
        );
      });

      await t.step(
        "a topic's details show its recent history as text and who is present",
        async () => {
          const topic = "chat:panel";
          const html = `<img src=x id=injected-history><b>hi</b>`;
          const alice = sockets[0];
          for (const [i, payload] of [{ n: 1 }, { html }, { n: 3 }].entries()) {
            const ack = await alice.request({ type: "publish", id: 300 + i, topic, payload });
            assert.equal(ack.type, "ack");
          }
          // Two tabs of one user: two connections, one user.
          const tab1 = await client(hub, secret, "dana");
          const tab2 = await client(hub, secret, "dana");
          sockets.push(tab1, tab2);
          for (const [i, tab] of [tab1, tab2].entries()) {
            assert.equal(
              (await tab.request({ type: "subscribe", id: 400 + i, topic })).type,
              "ack",
            );
          }
          const row = page.locator(`#topics-body tr[data-topic="${topic}"]`);
          await row.waitFor();
          // Keyboard only: focus the row, Enter opens the details.
          await row.focus();
          await page.keyboard.press("Enter");
          await page.locator("#topic-detail-title", { hasText: topic }).waitFor();
          const history = page.locator('#topic-detail [data-section="Recent history"]');
          await history.locator("tr[data-offset]").first().waitFor();
          assert.deepEqual(
            await history.locator("tr[data-offset]").evaluateAll((rows) =>
              rows.map((r) => (r as unknown as { dataset: { offset: string } }).dataset.offset)
            ),
            ["3", "2", "1"],
            "newest first",
          );
          const htmlRow = history.locator('tr[data-offset="2"]');
          assert.match(await htmlRow.textContent() ?? "", /<img src=x id=injected-history><b>hi/);
          assert.match(await htmlRow.textContent() ?? "", /alice/);
          const present = page.locator("#topic-detail .presence-summary");
          await present.waitFor();
          assert.equal(await present.textContent(), "2 connections, 1 user");
          const dana = page.locator('#topic-detail tr[data-user="dana"]');
          assert.equal(await dana.locator("td").nth(1).textContent(), "2");
          assert.equal(await page.locator("#injected-history, #topic-detail b").count(), 0);

          // Refresh shows what changed since: one tab gone, one more publication.
          await tab2.close();
          await alice.request({ type: "publish", id: 310, topic, payload: { n: 4 } });
          // The hub has dropped the tab once the live table shows one row for dana.
          await page.waitForFunction(() =>
            (globalThis as unknown as {
              document: { querySelectorAll(s: string): { length: number } };
            }).document.querySelectorAll('#connections-body tr[data-user="dana"]').length === 1
          );
          await page.click("#topic-detail-refresh");
          await history.locator('tr[data-offset="4"]').waitFor();
          await page.locator("#topic-detail .presence-summary", {
            hasText: "1 connection, 1 user",
          }).waitFor();
        },
      );

      await t.step("usable at phone width: one column, nothing wider than the screen", async () => {
        await page.setViewportSize({ width: 390, height: 844 });
        const overflow = await page.evaluate(() => {
          const doc = (globalThis as unknown as {
            document: { documentElement: { scrollWidth: number; clientWidth: number } };
          }).document;
          return doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
        });
        assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
        await page.setViewportSize({ width: 960, height: 640 });
      });

      await t.step("the credential is kept nowhere but memory, and sign-out drops it", async () => {
        const kept = await page.evaluate(() => {
          const g = globalThis as unknown as PageGlobals;
          return [g.localStorage.length, g.sessionStorage.length, g.document.cookie];
        });
        assert.deepEqual(kept, [0, 0, ""]);
        await page.click("#sign-out");
        await page.waitForSelector('body[data-state="signed-out"]');
        assert.equal(await page.inputValue("#credential"), "");
        assert.ok(!hub.stderr().includes(ADMIN_KEY), "the hub does not log the key");
      });

      await t.step("an admin JWT signs in; revoking it signs the page out", async () => {
        const jwt = await mintToken({ sub: "ops", roles: ["admin"] }, { secret }, {
          ttl: "15m",
          aud: "realtime-admin",
        });
        await signIn(page, jwt);
        await page.waitForSelector('#stream-state[data-state="live"]');
        const res = await fetch(hub.url + "/v1/realtime/revoke", {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ user: "ops" }),
        });
        assert.equal(res.status, 200);
        await res.body?.cancel();
        await page.waitForSelector('body[data-state="signed-out"]', { timeout: 10_000 });
        assert.match(await page.textContent("#signin-error") ?? "", /no longer accepts/);
        assert.ok(!hub.stderr().includes(jwt), "the hub does not log the token");
      });

      await t.step("no script errors and no CSP violations", () => {
        // Chromium logs the refused sign-in's 401 as a failed resource load.
        const unexpected = pageErrors.filter((text) => !text.includes("status of 401"));
        assert.deepEqual(unexpected, []);
      });
    } finally {
      for (const socket of sockets) await socket.close().catch(() => {});
      await hub.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
