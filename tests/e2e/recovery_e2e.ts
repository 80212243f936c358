// The demo page recovers what it missed while offline: a real hub
// subprocess (started as `deno task start` starts it, whose demo rooms keep
// history), Chromium taken offline with Playwright's context.setOffline
// while another client publishes, then back online: every message shows
// once, and the page says the recovery was complete.
//
// Chromium's offline emulation does not close an open WebSocket: it fails
// new connections and requests (net::ERR_INTERNET_DISCONNECTED) and holds
// the open socket's traffic, so the page notices only when its heartbeat
// ping goes unanswered. The browser stays offline until the client has
// failed enough reconnects to ask the page's getToken for a fresh token,
// and that request has failed too: a network failure there must leave the
// client retrying, not closed for good. (It once closed with AUTH_FAILED
// whenever the offline window, 0.1 to 1.2 s as measured, happened to last
// until that request: in about 1 run in 7 on a busy CI machine.)

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { loadDevKey } from "../../src/auth/dev_key.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { RealtimeClient } from "../../src/client/mod.ts";
import { launchBrowser } from "./_browser.ts";
import { freePort, startHubProcess } from "./_server.ts";

const MISSED = 5;
/**
 * How long the page may take to see the drop: Chromium leaves the socket
 * open, so the client's heartbeat finds it (a ping every 25 s, answered
 * within the 10 s request timeout: at most 35 s), with room for a busy machine.
 */
const DROP_SEEN_MS = 60_000;
/**
 * How long the page may take, once it saw the drop, to ask for a fresh
 * token: the third reconnect in a row asks, after back-offs of at most 0.5,
 * 1 and 2 s, and every attempt after it asks again (at most 4 and 8 s later).
 */
const TOKEN_ASKED_MS = 30_000;
/**
 * How long the page may take to recover once online: the online event skips
 * the back-off (the recovery line came 40 to 770 ms after it as measured),
 * but an attempt already under way when it fires fails, and the next one
 * waits its back-off, a few seconds after the few attempts made offline here.
 */
const RECOVERED_MS = 30_000;

async function logLines(page: Page, kind: string): Promise<string[]> {
  return await page.locator(`#log li[data-kind="${kind}"]`).allTextContents();
}

Deno.test({
  name: "demo page: messages published while the browser is offline show once after it is back",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "realtime-e2e-recovery-" });
    const port = freePort();
    const hub = await startHubProcess(dir, port);
    try {
      await using browser = await launchBrowser();
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto(hub.url + "/");
      await page.waitForSelector("body.ready");
      await page.fill("#mint-sub", "alice");
      await page.click("#mint");
      await page.waitForSelector('#state[data-state="open"]');
      await page.fill("#subscribe-topic", "chat:lobby");
      await page.click("#subscribe");
      await page.locator('#log li[data-kind="info"]', { hasText: "subscribed to chat:lobby" })
        .first().waitFor();

      const secret = await loadDevKey(`${dir}/.realtime`);
      assert.ok(secret !== undefined);
      const token = await mintToken({ sub: "bob", acl: { "chat:*": ["publish"] } }, { secret }, {
        ttl: "1h",
      });
      await using bob = new RealtimeClient({ url: hub.url.replace(/^http/, "ws") + "/ws", token });
      await bob.publish("chat:lobby", "before the drop");
      await page.locator('#log li[data-kind="message"]', { hasText: "before the drop" }).first()
        .waitFor();

      await browser.context.setOffline(true);
      // Listened for from now: the page may ask before the drop is seen here.
      const tokenRefused = page.waitForEvent("requestfailed", {
        predicate: (request) => new URL(request.url()).pathname === "/dev/token",
        timeout: DROP_SEEN_MS + TOKEN_ASKED_MS,
      });
      tokenRefused.catch(() => {}); // awaited below, unless an earlier step fails
      await page.waitForSelector('#state:not([data-state="open"])', { timeout: DROP_SEEN_MS });
      for (let i = 1; i <= MISSED; i++) await bob.publish("chat:lobby", `missed ${i}`);
      await tokenRefused;
      await browser.context.setOffline(false);

      // A client that stopped for good says so at once, with its reason.
      const recovered = page.locator('#log li[data-kind="recovery"]', {
        hasText: `recovered ${MISSED} missed messages on chat:lobby`,
      }).first();
      const closed = page.locator('#state[data-state="closed"]');
      await recovered.or(closed).first().waitFor({ timeout: RECOVERED_MS });
      assert.ok(
        await recovered.isVisible(),
        `The client stopped: ${(await logLines(page, "error")).join("; ")}`,
      );
      await bob.publish("chat:lobby", "after the drop");
      await page.locator('#log li[data-kind="message"]', { hasText: "after the drop" }).first()
        .waitFor();
      const messages = await logLines(page, "message");
      for (
        const text of ["before the drop", "after the drop"].concat(
          Array.from({ length: MISSED }, (_, i) => `missed ${i + 1}`),
        )
      ) {
        assert.equal(messages.filter((m) => m.endsWith(text)).length, 1, `'${text}' once`);
      }
      const order = messages.map((m) => m.match(/missed (\d)/)?.[1]).filter((n) => n);
      // The log shows the newest line first.
      assert.deepEqual(order, ["5", "4", "3", "2", "1"]);
      assert.deepEqual(pageErrors, []);
    } finally {
      await hub.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
