// The demo page in a real browser against the hub as a real subprocess:
// chat between two tabs, a live Online list, a FORBIDDEN subscribe, a token
// refreshed in place, a forged token refused with its reason on a phone-wide
// page, and a killed and restarted hub that both tabs survive without a reload.
//
// Run with `deno task e2e`. Set UPDATE_DEMO_PNG=1 to rewrite docs/demo.png.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { loadDevKey } from "../../src/auth/dev_key.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { launchBrowser } from "./_browser.ts";
import { freePort, type HubProcess, startHubProcess } from "./_server.ts";

const SCREENSHOT = new URL("../../docs/demo.png", import.meta.url);
const MAX_SCREENSHOT_BYTES = 150 * 1024;

interface PageDocument {
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
}

/** Waits until the page's state badge satisfies `check`, with a timeout. */
async function waitForBadge(
  page: Page,
  check: { state?: string; opens?: number; refreshes?: number },
  timeout = 15_000,
): Promise<void> {
  await page.waitForFunction(
    (want) => {
      // Runs in the page, which has a DOM.
      const doc = (globalThis as unknown as { document: PageDocument }).document;
      const el = doc.getElementById("state");
      if (el === null) return false;
      return (want.state === undefined || el.dataset.state === want.state) &&
        (want.opens === undefined || Number(el.dataset.opens) >= want.opens) &&
        (want.refreshes === undefined || Number(el.dataset.refreshes) >= want.refreshes);
    },
    check,
    { timeout },
  );
}

/** Waits for a log line of `kind` containing `text`. */
async function waitForLog(page: Page, kind: string, text: string, timeout = 10_000) {
  await page.locator(`#log li[data-kind="${kind}"]`, { hasText: text }).first().waitFor({
    timeout,
  });
}

// Interactions go to the foreground tab, as a person's would: Chromium gives
// background tabs no animation frames, which Playwright's clicks wait for.

async function mintAndConnect(page: Page, sub: string, ttl = 3600): Promise<void> {
  await page.bringToFront();
  await page.fill("#mint-sub", sub);
  await page.fill("#mint-ttl", String(ttl));
  await page.click("#mint");
  await waitForBadge(page, { state: "open" });
}

async function subscribe(page: Page, topic: string): Promise<void> {
  await page.bringToFront();
  await page.fill("#subscribe-topic", topic);
  await page.click("#subscribe");
}

async function publish(page: Page, topic: string, text: string): Promise<void> {
  await page.bringToFront();
  await page.fill("#publish-topic", topic);
  await page.fill("#publish-text", text);
  await page.click("#publish");
}

/** Waits until the Online entry of `topic` satisfies `check`. */
async function waitForOnline(
  page: Page,
  topic: string,
  check: { has?: string[]; lacks?: string[] },
  timeout = 10_000,
): Promise<void> {
  await page.waitForFunction(
    ({ topic, has, lacks }) => {
      const doc = (globalThis as unknown as { document: OnlineDocument }).document;
      const text = doc.querySelector(`#online li[data-topic="${topic}"]`)?.textContent ?? "";
      return has.every((user) => text.includes(user)) &&
        lacks.every((user) => !text.includes(user));
    },
    { topic, has: check.has ?? [], lacks: check.lacks ?? [] },
    { timeout },
  );
}

interface OnlineDocument {
  querySelector(selector: string): { textContent: string | null } | null;
}

async function opens(page: Page): Promise<number> {
  return Number(await page.getAttribute("#state", "data-opens"));
}

Deno.test({
  name: "demo page: chat, FORBIDDEN, token refresh and hub restart in Chromium",
  // playwright-core keeps its driver connection open between steps.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "realtime-e2e-" });
    const config = `${dir}/config.json`;
    // Short refresh lead so a 6 s token is refreshed at 4 s, then every ~4 s.
    await Deno.writeTextFile(config, JSON.stringify({ tokenExpiringLeadMs: 2000 }));
    const port = freePort();
    const env = { REALTIME_CONFIG: config };
    let hub: HubProcess | undefined = await startHubProcess(dir, port, { env });
    try {
      await using browser = await launchBrowser();
      const alice = await browser.newPage();
      const bob = await browser.newPage();
      const carol = await browser.newPage();
      const pageErrors: string[] = [];
      for (const page of [alice, bob, carol]) {
        page.on("pageerror", (error) => pageErrors.push(error.message));
        page.on("console", (msg) => {
          // A failed load names its URL only in the location.
          if (msg.type() === "error") pageErrors.push(`${msg.text()} at ${msg.location().url}`);
        });
      }

      await t.step("the page is served with a strict CSP and the bundled client", async () => {
        const response = await alice.goto(hub!.url + "/");
        assert.equal(response?.status(), 200);
        const csp = response?.headers()["content-security-policy"] ?? "";
        assert.match(csp, /default-src 'self'/);
        assert.match(csp, /connect-src 'self' ws: wss:/);
        await alice.waitForSelector("body.ready");
        assert.equal(await alice.getAttribute("body", "data-dev"), "true");
      });

      await t.step("carol starts on a 6 s token that getToken keeps fresh", async () => {
        await carol.goto(hub!.url + "/");
        await mintAndConnect(carol, "carol", 6);
        await subscribe(carol, "chat:lobby");
        await waitForLog(carol, "info", "subscribed to chat:lobby");
      });

      await t.step("alice mints a token, bob pastes one; both use subprotocol tokens", async () => {
        await mintAndConnect(alice, "alice");
        const secret = await loadDevKey(`${dir}/.realtime`);
        assert.ok(secret !== undefined, "the hub created its development key");
        const token = await mintToken(
          { sub: "bob", acl: { "chat:*": ["subscribe", "publish"] } },
          { secret },
          { ttl: "1h" },
        );
        await bob.goto(hub!.url + "/");
        await bob.bringToFront();
        await bob.fill("#token", token);
        await bob.click("#connect");
        await waitForBadge(bob, { state: "open" });
        for (const page of [alice, bob]) {
          await subscribe(page, "chat:lobby");
          await waitForLog(page, "info", "subscribed to chat:lobby");
        }
        const log = hub!.stderr();
        assert.ok(!log.includes(token), "the hub does not log tokens");
      });

      await t.step("the Online list follows joins without a reload", async () => {
        // Carol fetched the list when alice and bob were not there yet: their joins add them.
        await waitForOnline(carol, "chat:lobby", { has: ["carol", "alice", "bob"] });
        await waitForOnline(alice, "chat:lobby", { has: ["carol", "alice", "bob"] });
      });

      await t.step("one tab publishes, the other receives", async () => {
        await publish(alice, "chat:lobby", "hello from alice");
        await waitForLog(bob, "message", "[chat:lobby] alice: hello from alice");
        await publish(bob, "chat:lobby", "hi alice, bob here");
        await waitForLog(alice, "message", "[chat:lobby] bob: hi alice, bob here");
      });

      await t.step("a forbidden subscribe shows FORBIDDEN", async () => {
        await subscribe(bob, "admin:secrets");
        await waitForLog(bob, "error", "FORBIDDEN admin:secrets");
        assert.equal(await bob.locator('#subscriptions li[data-topic="admin:secrets"]').count(), 0);
        await publish(bob, "news:today", "nope");
        await waitForLog(bob, "error", "FORBIDDEN news:today");
      });

      await t.step("screenshot of the demo page", async () => {
        await bob.bringToFront();
        await bob.fill("#token", ""); // no token-shaped string in the committed image
        const png = await bob.screenshot({ type: "png" });
        assert.ok(png.byteLength < MAX_SCREENSHOT_BYTES, `screenshot is ${png.byteLength} bytes`);
        if (Deno.env.get("UPDATE_DEMO_PNG") === "1") await Deno.writeFile(SCREENSHOT, png);
      });

      await t.step("an expiring token is refreshed in place, no subscription dropped", async () => {
        // Two refreshes take carol past the first token's exp on the same connection.
        await waitForBadge(carol, { refreshes: 2 }, 20_000);
        await waitForBadge(carol, { state: "open" });
        assert.equal(await opens(carol), 1, "carol never reconnected");
        await publish(alice, "chat:lobby", "still there, carol?");
        await waitForLog(carol, "message", "[chat:lobby] alice: still there, carol?");
        await carol.close();
        // Her leave reaches alice's Online list.
        await waitForOnline(alice, "chat:lobby", { has: ["alice", "bob"], lacks: ["carol"] });
      });

      await t.step("a forged token is refused with its reason on a phone-wide page", async () => {
        const phone = await browser.newPage();
        phone.on("pageerror", (error) => pageErrors.push(error.message));
        await phone.setViewportSize({ width: 390, height: 844 });
        await phone.goto(hub!.url + "/");
        await phone.waitForSelector("body.ready");
        const forged = await mintToken(
          { sub: "mallory", acl: { "chat:*": ["subscribe"] } },
          { secret: "not-the-development-key-of-32-bytes!!" },
          { ttl: "1h" },
        );
        const refusalsBefore = hub!.stderr().split("bad_signature").length;
        await phone.bringToFront();
        await phone.fill("#token", forged);
        await phone.click("#connect");
        // Stopped, not "reconnecting": the page says why.
        await waitForBadge(phone, { state: "closed" });
        assert.equal(await phone.getAttribute("#state", "data-reason"), "bad_signature");
        assert.equal(await phone.textContent("#who"), "token refused: bad_signature");
        await waitForLog(phone, "error", "Token signature is invalid");
        assert.equal(
          hub!.stderr().split("bad_signature").length - refusalsBefore,
          1,
          "one attempt, no retries",
        );
        // Nothing is wider than the phone, long log lines included.
        const width = await phone.evaluate(() =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } })
            .document.documentElement.scrollWidth
        );
        assert.ok(width <= 390, `the page is ${width} px wide in a 390 px viewport`);
        await phone.close();
      });

      await t.step("killing and restarting the hub: both tabs reconnect and resume", async () => {
        assert.deepEqual([await opens(alice), await opens(bob)], [1, 1]);
        await hub!.kill();
        hub = undefined;
        for (const page of [alice, bob]) await waitForBadge(page, { state: "reconnecting" });
        hub = await startHubProcess(dir, port, { env });
        // Each tab's next attempt may come one full back-off after the hub is up again: the
        // client's ceiling is 30 s, and a loaded machine keeps the hub down for several seconds.
        for (const page of [alice, bob]) {
          await waitForBadge(page, { state: "open", opens: 2 }, 45_000);
        }
        // The restarted hub starts empty: delivery proves the tabs resubscribed.
        await publish(alice, "chat:lobby", "after the restart");
        await waitForLog(bob, "message", "[chat:lobby] alice: after the restart");
        await publish(bob, "chat:lobby", "back here too");
        await waitForLog(alice, "message", "[chat:lobby] bob: back here too");
      });

      await t.step("no script errors and no CSP violations in any tab", () => {
        // Chromium logs a failed WebSocket while the hub is down; that is expected. So is a
        // failed POST /dev/token then: the third reconnect in a row asks getToken for a fresh
        // token, and the page's mint fails until the hub is back (and is retried).
        const unexpected = pageErrors.filter((text) =>
          !text.includes("WebSocket connection") &&
          !(text.startsWith("Failed to load resource: net::ERR_CONNECTION_REFUSED") &&
            text.endsWith("/dev/token"))
        );
        assert.deepEqual(unexpected, []);
      });
    } finally {
      await hub?.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
