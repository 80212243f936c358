// A page on another origin than the hub, in Chromium, as deployed with the
// page on app.example.com and the hub on rt.example.com (here two ports of
// 127.0.0.1, which are two origins): the browser client's SSE fallback
// receives and publishes through the hub's CORS, HTTP publish and a raw
// EventSource (with the hub's cookie) work, and from an origin not in
// `allowedOrigins` the browser gets nothing and sends nothing. The client's
// `sseWithCredentials` sends the hub site's cookie to an `authenticate` hook.
// A cross-origin EventSource resumes with Last-Event-ID after the hub ends
// its stream, and a fetch-based reader sending Last-Event-ID passes the
// preflight.
//
// Run with `deno task e2e`.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { bundleForBrowser } from "../../scripts/_bundle.ts";
import { startTestHub } from "../_support/hub.ts";
import { launchBrowser } from "./_browser.ts";

const ACL = { "chat:*": ["subscribe", "publish", "history"] };
const HISTORY = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];

/** Serves a blank page and the client's bundle on a port of its own: one origin. */
function servePages(files: Record<string, string>): Deno.HttpServer<Deno.NetAddr> & {
  origin: string;
} {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const name = new URL(req.url).pathname.slice(1);
    if (name === "") {
      return new Response("<!doctype html><title>app</title>", {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    if (Object.hasOwn(files, name)) {
      return new Response(files[name], { headers: { "content-type": "text/javascript" } });
    }
    return new Response("Not found", { status: 404 });
  });
  return Object.assign(server, { origin: `http://127.0.0.1:${server.addr.port}` });
}

interface PageState {
  got: unknown[];
  subscribed: boolean;
  states: { state: string; code?: number; failure?: string }[];
  rt: { transport: string; publish(topic: string, payload: unknown): Promise<unknown> };
}

/** Opens a RealtimeClient in `page` that subscribes to chat:lobby and records what it gets. */
async function openClient(page: Page, options: Record<string, unknown>): Promise<void> {
  await page.evaluate(async (options) => {
    const { RealtimeClient } = await import("/client.js");
    const g = globalThis as unknown as PageState;
    g.got = [];
    g.subscribed = false;
    g.states = [];
    const rt = new RealtimeClient(options);
    g.rt = rt;
    rt.on("subscribed", () => g.subscribed = true);
    rt.on(
      "state",
      (state: string, change: { close?: { code: number; failure?: string } }) =>
        g.states.push({ state, code: change.close?.code, failure: change.close?.failure }),
    );
    rt.subscribe("chat:lobby", (message: { payload: unknown }) => g.got.push(message.payload));
  }, options);
}

function waitForPayload(page: Page, payload: string): Promise<unknown> {
  return page.waitForFunction(
    (p) => ((globalThis as unknown as PageState).got ?? []).includes(p),
    payload,
  );
}

Deno.test({
  name:
    "a page on another origin uses the SSE fallback and HTTP publish when allowed, and nothing when not",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const files = Object.fromEntries(
      await bundleForBrowser("src/client/mod.ts", "client.js", { minify: false }),
    );
    await using app = servePages(files);
    await using other = servePages(files);
    const sessions = new Map([["carol-session", "carol"]]);
    await using hub = await startTestHub("deno", {
      allowedOrigins: [app.origin],
      history: HISTORY,
      tokenSources: { cookie: "rt_token" },
      // An application session in a cookie of the hub's site, as a `sid` from a login page.
      authenticate: (req) => {
        const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.get("cookie") ?? "")?.[1];
        const sub = sid === undefined ? undefined : sessions.get(sid);
        return sub === undefined
          ? undefined
          : { sub, roles: [], claims: { sub, acl: ACL }, expiresAt: null };
      },
    });
    const hubOrigin = `http://127.0.0.1:${hub.port}`;
    const alice = await hub.token({ sub: "alice", acl: ACL });
    const mallory = await hub.token({ sub: "mallory", acl: ACL });
    await using browser = await launchBrowser();
    const pageErrors: string[] = [];

    // The page on the allowed origin: the WebSocket path is blocked (a proxy
    // that breaks WebSocket), so the client falls back to SSE on the hub's origin.
    const page = await browser.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(app.origin + "/");
    await openClient(page, {
      url: `ws://127.0.0.1:${hub.port}/no-websocket-here`,
      token: alice,
      transports: ["websocket", "sse"],
    });
    await page.waitForFunction(() => {
      const g = globalThis as unknown as PageState;
      return g.subscribed && g.rt.transport === "sse";
    });
    await hub.hub.publish("chat:lobby", "from the hub");
    await waitForPayload(page, "from the hub");
    // A publish posted to the stream's session, acknowledged.
    const ack = await page.evaluate(() =>
      (globalThis as unknown as PageState).rt.publish("chat:lobby", "from the page")
    );
    assert.equal(typeof (ack as { offset?: unknown }).offset, "number");
    await waitForPayload(page, "from the page");
    // HTTP publish from the page's own fetch, and its answer readable by the page.
    const published = await page.evaluate(async ({ hubOrigin, token }) => {
      const response = await fetch(`${hubOrigin}/publish`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ topic: "chat:lobby", payload: "over http publish" }),
      });
      return { status: response.status, body: await response.json() };
    }, { hubOrigin, token: alice });
    assert.equal(published.status, 200);
    assert.equal(typeof published.body.offset, "number");
    await waitForPayload(page, "over http publish");
    // A page's own EventSource with the hub's cookie token (credentials need
    // the exact origin echoed, never `*`).
    await browser.context.addCookies([{ name: "rt_token", value: alice, url: hubOrigin }]);
    const welcomed = await page.evaluate((url) =>
      new Promise<string>((resolve, reject) => {
        const source = new EventSource(url, { withCredentials: true });
        source.addEventListener("welcome", (event) => {
          source.close();
          resolve(JSON.parse((event as MessageEvent).data).user);
        });
        source.onerror = () => {
          source.close();
          reject(new Error(`EventSource failed, readyState ${source.readyState}`));
        };
      }), `${hubOrigin}/sse?topic=chat:lobby`);
    assert.equal(welcomed, "alice");

    // The page on an origin not in allowedOrigins: the browser blocks every
    // door (its preflight is refused), so nothing is read and nothing sent.
    const stranger = await browser.newPage();
    stranger.on("pageerror", (error) => pageErrors.push(error.message));
    await stranger.goto(other.origin + "/");
    const refused = await stranger.evaluate(async ({ hubOrigin, token }) => {
      const outcome = (p: Promise<Response>) =>
        p.then((r) => `HTTP ${r.status}`, (e: Error) => e.name);
      const stream = await outcome(fetch(`${hubOrigin}/sse?topic=chat:lobby`, {
        headers: { authorization: `Bearer ${token}` },
      }));
      const publish = await outcome(fetch(`${hubOrigin}/publish`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ topic: "chat:lobby", payload: "from a stranger" }),
      }));
      const source = await new Promise<number>((resolve) => {
        const es = new EventSource(`${hubOrigin}/sse?topic=chat:lobby`, { withCredentials: true });
        es.addEventListener("welcome", () => resolve(-1));
        es.onerror = () => resolve(es.readyState);
      });
      return { stream, publish, source };
    }, { hubOrigin, token: mallory });
    // A CORS failure is a TypeError to the page; EventSource gives up (CLOSED).
    assert.deepEqual(refused, { stream: "TypeError", publish: "TypeError", source: 2 });
    await openClient(stranger, {
      url: `ws://127.0.0.1:${hub.port}/ws`,
      token: mallory,
      transports: ["sse"],
    });
    await stranger.waitForFunction(() =>
      (globalThis as unknown as PageState).states.some((s) => s.state === "reconnecting")
    );
    const strangerStates = await stranger.evaluate(() =>
      (globalThis as unknown as PageState).states
    );
    const dropped = strangerStates.find((s) => s.state === "reconnecting")!;
    assert.equal(dropped.code, 1006);
    assert.match(dropped.failure ?? "", /fetch/i);
    await stranger.evaluate(() =>
      (globalThis as unknown as { rt: { close(): Promise<void> } }).rt.close()
    );
    const history = JSON.stringify(await hub.hub.history("chat:lobby"));
    assert.doesNotMatch(history, /from a stranger/);
    assert.match(history, /over http publish/);
    assert.deepEqual(hub.hub.listConnections().connections.filter((c) => c.user === "mallory"), []);

    // sseWithCredentials: the stream and its posts carry the hub site's
    // cookie, which the application's authenticate hook reads.
    await browser.context.clearCookies();
    await browser.context.addCookies([{ name: "sid", value: "carol-session", url: hubOrigin }]);
    const withCookies = await browser.newPage();
    withCookies.on("pageerror", (error) => pageErrors.push(error.message));
    await withCookies.goto(app.origin + "/");
    await openClient(withCookies, {
      url: `ws://127.0.0.1:${hub.port}/ws`,
      token: mallory,
      transports: ["sse"],
      sseWithCredentials: true,
    });
    await withCookies.waitForFunction(() => (globalThis as unknown as PageState).subscribed);
    await withCookies.evaluate(() =>
      (globalThis as unknown as PageState).rt.publish("chat:lobby", "from carol's page")
    );
    await waitForPayload(withCookies, "from carol's page");
    const sse = hub.hub.listConnections().connections.filter((c) => c.transport === "sse");
    assert.deepEqual(sse.map((c) => c.user).sort(), ["alice", "carol"]);
    assert.deepEqual(pageErrors, []);
  },
});

Deno.test({
  name: "an EventSource on another origin resumes with Last-Event-ID after the hub ends its stream",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using app = servePages({});
    await using hub = await startTestHub("deno", {
      allowedOrigins: [app.origin],
      history: HISTORY,
      sse: { retryMs: 200 },
    });
    const bob = await hub.token({ sub: "bob", acl: ACL });
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(app.origin + "/");
    await page.evaluate((url) => {
      const g = globalThis as unknown as { welcomes: unknown[]; got: unknown[]; lastId: string };
      g.welcomes = [];
      g.got = [];
      const source = new EventSource(url);
      source.addEventListener(
        "welcome",
        (e) => g.welcomes.push(JSON.parse((e as MessageEvent).data)),
      );
      source.addEventListener("message", (e) => {
        g.got.push(JSON.parse((e as MessageEvent).data).payload);
        g.lastId = (e as MessageEvent).lastEventId;
      });
    }, `http://127.0.0.1:${hub.port}/sse?topic=chat:lobby&token=${bob}`);
    const waitFor = (expression: string) => page.waitForFunction(expression);
    await waitFor("globalThis.welcomes.length === 1");
    await hub.hub.publish("chat:lobby", "before");
    await waitFor('globalThis.got.includes("before")');
    // The hub ends the stream; what is published meanwhile comes back on the reconnect.
    assert.equal(hub.hub.disconnectUser("bob"), 1);
    await hub.hub.publish("chat:lobby", "missed");
    await waitFor("globalThis.welcomes.length === 2");
    await waitFor('globalThis.got.includes("missed")');
    const welcomes = await page.evaluate("globalThis.welcomes") as {
      topics: { recovered?: boolean }[];
    }[];
    assert.equal(welcomes[1].topics[0].recovered, true);
    assert.deepEqual(await page.evaluate("globalThis.got"), ["before", "missed"]);
    // Chromium's EventSource sends Last-Event-ID without a preflight; a
    // fetch-based reader (a polyfill, the resume of a new stream) is preflighted for it.
    const resumed = await page.evaluate(async ({ url, token }) => {
      const g = globalThis as unknown as { lastId: string };
      const controller = new AbortController();
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${token}`, "last-event-id": g.lastId },
        signal: controller.signal,
      });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("event: welcome")) text += (await reader.read()).value ?? "";
      controller.abort();
      return { status: response.status, recovered: /"recovered":true/.test(text) };
    }, { url: `http://127.0.0.1:${hub.port}/sse?topic=chat:lobby`, token: bob });
    assert.deepEqual(resumed, { status: 200, recovered: true });
    assert.deepEqual(pageErrors, []);
  },
});
