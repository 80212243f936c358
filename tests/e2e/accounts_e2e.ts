// The demo page's accounts in a real browser: sign up, log in, receive a
// message, 4 s access tokens refreshed silently through the HttpOnly cookie
// on the same connection, and logout (here, or in another tab) closing the
// connection for good. A real hub, the real accounts handler and the real
// demo page are served from this process on 127.0.0.1, so the access-token
// lifetime can be short.
//
// Run with `deno task e2e`.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createHub } from "../../mod.ts";
import { serve } from "../../src/server/serve.ts";
import { createAccountsHandler } from "../../src/accounts/handler.ts";
import { createSqliteStore } from "../../src/accounts/sqlite_store.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { createDemoHandler } from "../../src/demo/handler.ts";
import { RealtimeClient } from "../../src/client/mod.ts";
import { launchBrowser } from "./_browser.ts";
import { freePort } from "./_server.ts";

const SECRET = "an-e2e-secret-of-at-least-32-bytes!!";
const PASSWORD = "correct horse battery";

interface PageDocument {
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
  cookie: string;
}

async function waitForBadge(
  page: Page,
  check: { state?: string; opens?: number; refreshes?: number },
  timeout = 15_000,
): Promise<void> {
  await page.waitForFunction(
    (want) => {
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

async function waitForLog(page: Page, kind: string, text: string, timeout = 10_000) {
  await page.locator(`#log li[data-kind="${kind}"]`, { hasText: text }).first().waitFor({
    timeout,
  });
}

async function account(page: Page, action: "login" | "signup", user: string, password: string) {
  await page.bringToFront();
  const form = action === "login" ? "account" : "signup";
  await page.fill(`#${form}-username`, user);
  await page.fill(`#${form}-password`, password);
  await page.click(action === "login" ? "#login" : "#signup");
}

async function opens(page: Page): Promise<number> {
  return Number(await page.getAttribute("#state", "data-opens"));
}

/** Waits, bounded, until `check` holds: for state the page cannot show. */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

Deno.test({
  name: "demo page accounts: sign-up, login, silent refresh, logout in Chromium",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "realtime-e2e-accounts-" });
    const hub = createHub({ auth: { secret: SECRET }, log: () => {} });
    const store = createSqliteStore(`${dir}/accounts.db`);
    const port = freePort();
    const base = `http://localhost:${port}`;
    const accounts = createAccountsHandler({
      store,
      allowedOrigins: [base],
      signingKey: { secret: SECRET },
      verifier: createTokenVerifier({ secret: SECRET }),
      hub,
      accessTtlSeconds: 4,
      newUser: () => ({ roles: [], acl: { "chat:*": ["subscribe", "publish"] } }),
      log: () => {},
    });
    const demo = createDemoHandler();
    const server = await serve(hub, {
      port,
      hostname: "127.0.0.1",
      transport: "ws",
      fetch: async (req) => (await accounts(req)) ?? (await demo(req)),
    });
    const bobToken = await mintToken(
      { sub: "bob", acl: { "chat:*": ["publish"] } },
      { secret: SECRET },
      { ttl: "1h" },
    );
    await using bob = new RealtimeClient({ url: `ws://127.0.0.1:${port}/ws`, token: bobToken });
    await bob.opened();
    try {
      await using browser = await launchBrowser();
      const alice = await browser.newPage();
      const pageErrors: string[] = [];
      const watch = (page: Page) => {
        page.on("pageerror", (error) => pageErrors.push(error.message));
        page.on("console", (msg) => {
          if (msg.type() === "error") pageErrors.push(msg.text());
        });
      };
      watch(alice);

      await t.step("a fresh tab is signed out and shows the forms", async () => {
        await alice.goto(base + "/");
        await alice.waitForSelector("body.ready");
        await alice.locator("#account-status", { hasText: "Not signed in" }).waitFor();
        assert.ok(await alice.isVisible("#account-form"));
        assert.ok(!(await alice.isVisible("#logout")));
      });

      await t.step("a weak password is refused with its reason as text", async () => {
        await account(alice, "signup", "alice", "short");
        await alice.locator("#account-error", { hasText: "WEAK_PASSWORD" }).waitFor();
        assert.equal(await alice.getAttribute("#account", "data-user"), "");
      });

      await t.step(
        "sign up: signed in, connected, the refresh token only in an HttpOnly cookie",
        async () => {
          await account(alice, "signup", "alice", PASSWORD);
          await alice.locator("#account-status", { hasText: "Signed in as alice" }).waitFor();
          await waitForBadge(alice, { state: "open" });
          assert.equal(await alice.inputValue("#signup-password"), "");
          // Password managers offer a new (generated) password here, a saved one at login.
          assert.equal(
            await alice.getAttribute("#signup-password", "autocomplete"),
            "new-password",
          );
          assert.equal(
            await alice.getAttribute("#account-password", "autocomplete"),
            "current-password",
          );
          const cookies = await browser.context.cookies();
          const refresh = cookies.find((c) => c.name === "realtime_refresh");
          assert.ok(refresh !== undefined, "the refresh cookie is set");
          assert.equal(refresh.httpOnly, true);
          assert.equal(refresh.sameSite, "Strict");
          const visible = await alice.evaluate(() =>
            (globalThis as unknown as { document: PageDocument }).document.cookie
          );
          assert.ok(!visible.includes("realtime_refresh"), "scripts cannot read it");
        },
      );

      await t.step("log out, then log in again with the password", async () => {
        await alice.click("#logout");
        await alice.locator("#account-status", { hasText: "Signed out" }).waitFor();
        await waitForBadge(alice, { state: "closed" });
        await until(() => hub.connectionCount === 1, "the hub to see the tab leave (bob stays)");
        await account(alice, "login", "alice", "wrong password here");
        await alice.locator("#account-error", { hasText: "INVALID_CREDENTIALS" }).waitFor();
        await account(alice, "login", "alice", PASSWORD);
        await alice.locator("#account-status", { hasText: "Signed in as alice" }).waitFor();
        await waitForBadge(alice, { state: "open" });
      });

      let opened = 0;
      await t.step("subscribe and receive a message", async () => {
        await alice.fill("#subscribe-topic", "chat:lobby");
        await alice.click("#subscribe");
        await waitForLog(alice, "info", "subscribed to chat:lobby");
        await bob.publish("chat:lobby", "hello alice");
        await waitForLog(alice, "message", "[chat:lobby] bob: hello alice");
        opened = await opens(alice);
      });

      await t.step(
        "4 s access tokens are refreshed silently: same connection, same subscription",
        async () => {
          // Each refresh comes about 2 s before exp; three take the tab well past the first exp.
          await waitForBadge(alice, { refreshes: 3 }, 20_000);
          await waitForBadge(alice, { state: "open" });
          assert.equal(await opens(alice), opened, "the tab never reconnected");
          await bob.publish("chat:lobby", "still there?");
          await waitForLog(alice, "message", "[chat:lobby] bob: still there?");
        },
      );

      await t.step(
        "a logout in another tab ends this tab's session connection at once (4003), for good",
        async () => {
          const other = await browser.newPage();
          watch(other);
          await other.goto(base + "/");
          // The reload path: the cookie still holds the session.
          await other.locator("#account-status", { hasText: "Signed in as alice" }).waitFor();
          await other.click("#logout");
          await other.locator("#account-status", { hasText: "Signed out" }).waitFor();
          await alice.locator("#account-status", { hasText: "Signed out" }).waitFor({
            timeout: 15_000,
          });
          await waitForBadge(alice, { state: "closed" });
          await until(() => hub.connectionCount === 1, "every tab to leave the hub (bob stays)");
          const left = await opens(alice);
          await bob.publish("chat:lobby", "anyone?");
          assert.equal(await opens(alice), left);
          assert.equal(await alice.getAttribute("#state", "data-state"), "closed");
        },
      );

      await t.step("no script errors and no CSP violations", () => {
        // A refused refresh is a 400/401 the browser logs as a failed resource.
        const unexpected = pageErrors.filter((text) => !/status of 40[01]/.test(text));
        assert.deepEqual(unexpected, []);
      });
    } finally {
      await hub.close();
      await server.close();
      await store.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
