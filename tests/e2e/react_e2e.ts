// The React example (examples/react/) in Chromium over a real hub: the seed's
// component and a chat room under one RealtimeProvider in StrictMode.
//
// StrictMode runs effects twice only in React's development build, which
// `deno bundle` picks for unminified output: the first test builds that from
// the locked sources (the cache, offline) and counts, on the hub, exactly
// one connection and one subscription per tab. The second runs the
// committed, minified build the example serves by default.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchBrowser } from "./_browser.ts";
import { startExampleServer } from "../../examples/react/server.ts";
import { bundleForBrowser } from "../../scripts/_bundle.ts";
import type { Hub } from "../../src/hub/hub.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { until } from "../_support/raw.ts";
import { startTcpProxy } from "../_support/tcp_proxy.ts";
import { RealtimeClient } from "../../src/client/client.ts";

/** Counts the WebSockets a page constructs, in `globalThis.sockets`. */
const COUNT_SOCKETS = `{
  const Native = globalThis.WebSocket;
  globalThis.sockets = 0;
  globalThis.WebSocket = class extends Native {
    constructor(...args) { super(...args); globalThis.sockets++; }
  };
}`;

async function open(origin: string, page: Page, user: string, errors: string[]): Promise<void> {
  page.on("pageerror", (error) => errors.push(`${user}: ${error.message}`));
  await page.addInitScript(COUNT_SOCKETS);
  await page.goto(`${origin}/login?user=${user}`);
  await page.getByText("Connection: Connected").waitFor();
}

function members(page: Page, expected: string[]): Promise<unknown> {
  return page.waitForFunction(
    `[...document.querySelectorAll("#members li")].map((li) => li.textContent).join() === ${
      JSON.stringify(expected.join())
    }`,
  );
}

/** The hub's open connections of a user, with their subscription counts. */
function connectionsOf(hub: Hub, user: string): number[] {
  return hub.listConnections().connections.filter((c) => c.user === user)
    .map((c) => c.subscriptions);
}

Deno.test("React example under StrictMode: two tabs chat, presence is live, one socket and one subscription per tab", async () => {
  const scripts = Object.fromEntries(
    await bundleForBrowser("examples/react/app.tsx", "app.js", { minify: false }),
  );
  assert.match(scripts["app.js"], /react-dom\.development|react\.development/);
  await using server = startExampleServer({ port: 0, scripts });
  await using browser = await launchBrowser();
  const errors: string[] = [];
  const alice = await browser.newPage();
  const bob = await browser.newPage();
  await open(server.origin, alice, "alice", errors);
  await open(server.origin, bob, "bob", errors);
  // StrictMode ran the provider's effect twice: the first client was closed
  // in the cleanup before its socket opened (it connects a microtask later).
  assert.equal(await alice.evaluate("globalThis.sockets"), 1);
  assert.equal(await bob.evaluate("globalThis.sockets"), 1);

  // The room mounts on an open connection: its hooks subscribe, unsubscribe, subscribe.
  await alice.click("#join");
  await members(alice, ["alice"]);
  await bob.click("#join");
  await members(bob, ["alice", "bob"]);
  await members(alice, ["alice", "bob"]); // alice saw bob join, live

  await alice.fill("#text", "hello bob");
  await alice.click("#say");
  await bob.getByText("alice: hello bob").waitFor();
  await bob.fill("#text", "hi alice");
  await bob.click("#say");
  await alice.getByText("bob: hi alice").waitFor();

  // The seed's send('test', ...) is an RPC the hub answers with a notification to all.
  await bob.getByText("Send Test").click();
  await alice.getByText("bob says: Hello from frontend!").waitFor();
  await bob.getByText("bob says: Hello from frontend!").waitFor();

  assert.deepEqual(connectionsOf(server.hub, "alice"), [1]);
  assert.deepEqual(connectionsOf(server.hub, "bob"), [1]);
  assert.equal(server.hub.stats().connections, 2);
  assert.equal(server.hub.subscriberCount("chat:lobby"), 2);

  await bob.close();
  await members(alice, ["alice"]); // bob's leave arrived
  assert.deepEqual(errors, []);
});

Deno.test("React example: the committed build connects, chats and shows presence", async () => {
  await using server = startExampleServer({ port: 0 });
  await using browser = await launchBrowser();
  const errors: string[] = [];
  const carol = await browser.newPage();
  await open(server.origin, carol, "carol", errors);
  await carol.click("#join");
  await members(carol, ["carol"]);
  await carol.fill("#text", "anyone?");
  await carol.click("#say");
  await carol.getByText("carol: anyone?").waitFor();
  assert.deepEqual(connectionsOf(server.hub, "carol"), [1]);
  assert.deepEqual(errors, []);
});

Deno.test("React bindings under StrictMode follow a topic change and a token change, leaving nothing behind on the hub", async () => {
  const scripts = Object.fromEntries(
    await bundleForBrowser("tests/e2e/_react_probe.tsx", "app.js", { minify: false }),
  );
  const secret = "a-react-probe-secret-of-at-least-32-bytes";
  await using server = startExampleServer({ port: 0, scripts, secret });
  const { hub } = server;
  await using browser = await launchBrowser();
  const errors: string[] = [];
  const page = await browser.newPage();
  page.on("pageerror", (error) => errors.push(error.message));
  await page.addInitScript(COUNT_SOCKETS);
  await page.goto(`${server.origin}/login?user=alice`);
  await page.getByText("open alice chat:one true").waitFor();
  assert.deepEqual(connectionsOf(hub, "alice"), [1]);
  assert.equal(hub.subscriberCount("chat:one"), 1);

  await page.evaluate(`probe.setTopic("chat:two")`);
  await page.getByText("open alice chat:two true").waitFor();
  await hub.publish("chat:two", "on two");
  await page.getByText("open alice chat:two true on two").waitFor();
  await until(() => hub.subscriberCount("chat:one") === 0, 5000, "chat:one to be unsubscribed");
  assert.deepEqual(connectionsOf(hub, "alice"), [1]);
  assert.equal(hub.subscriberCount("chat:two"), 1);

  const bob = await mintToken({ sub: "bob", acl: { "chat:*": ["subscribe"] } }, { secret }, {
    ttl: "1h",
  });
  await page.evaluate(`probe.setToken(${JSON.stringify(bob)})`);
  await page.getByText("open bob chat:two true").waitFor();
  await until(() => connectionsOf(hub, "alice").length === 0, 5000, "alice's client to close");
  assert.deepEqual(connectionsOf(hub, "bob"), [1]);
  assert.equal(hub.subscriberCount("chat:two"), 1);
  assert.equal(await page.evaluate("globalThis.sockets"), 2);
  assert.deepEqual(errors, []);
});

Deno.test("useHistory under StrictMode reads what a topic kept once connected, reloads, and follows a topic change", async () => {
  const scripts = Object.fromEntries(
    await bundleForBrowser("tests/e2e/_react_probe.tsx", "app.js", { minify: false }),
  );
  await using server = startExampleServer({
    port: 0,
    scripts,
    history: [{ pattern: "chat:*", size: 10, ttlMs: 300_000 }],
  });
  const { hub } = server;
  // Published before the page exists: only history can show them.
  await hub.publish("chat:one", "a");
  await hub.publish("chat:one", "b");
  await using browser = await launchBrowser();
  const errors: string[] = [];
  const page = await browser.newPage();
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${server.origin}/login?user=alice`);
  await page.getByText("history chat:one loaded a,b").waitFor();

  await hub.publish("chat:one", "c");
  await page.evaluate("reloadHistory()");
  await page.getByText("history chat:one loaded a,b,c").waitFor();

  await hub.publish("chat:two", "elsewhere");
  await page.evaluate(`probe.setTopic("chat:two")`);
  await page.getByText("history chat:two loaded elsewhere").waitFor();
  // One client and its one subscription: the reads did not open sockets of their own.
  assert.deepEqual(connectionsOf(hub, "alice"), [1]);
  assert.deepEqual(errors, []);
});

Deno.test("React example through a network cut: both tabs reconnect by themselves, recover what was published meanwhile, and presence stays live", async () => {
  const secret = "a-react-cut-secret-of-at-least-32-bytes!";
  await using server = startExampleServer({
    port: 0,
    secret,
    history: [{ pattern: "chat:*", size: 100, ttlMs: 300_000 }],
  });
  const { hub } = server;
  // The pages reach the hub only through the proxy; carol, in Deno, directly.
  await using proxy = startTcpProxy({
    hostname: "127.0.0.1",
    port: Number(new URL(server.origin).port),
  });
  const origin = `http://127.0.0.1:${proxy.port}`;
  await using browser = await launchBrowser();
  const errors: string[] = [];
  const alice = await browser.newPage();
  const bob = await browser.newPage();
  await open(origin, alice, "alice", errors);
  await open(origin, bob, "bob", errors);
  await alice.click("#join");
  await bob.click("#join");
  await members(alice, ["alice", "bob"]);
  await members(bob, ["alice", "bob"]);
  assert.equal(await alice.textContent("#subscription"), "subscribed");
  await alice.fill("#text", "before the cut");
  await alice.click("#say");
  await bob.getByText("alice: before the cut").waitFor();

  // The network goes down and stays down for the reconnect attempts.
  proxy.refuse(true);
  proxy.cutAll();
  await until(() => hub.stats().connections === 0, 10_000, "the hub to see both tabs gone");
  await alice.getByText("Connection: Disconnected").waitFor();
  await bob.getByText("Connection: Disconnected").waitFor();
  // useSubscription's state: the room waits to be subscribed again.
  await alice.waitForFunction(
    `document.getElementById("subscription").textContent === "subscribing"`,
  );

  // Meanwhile carol joins the room and talks.
  const carolToken = await mintToken(
    { sub: "carol", acl: { "chat:*": ["subscribe", "publish", "presence"] } },
    { secret },
    { ttl: "1h" },
  );
  const carol = new RealtimeClient({ url: `${server.origin}/ws`, token: carolToken });
  try {
    await carol.subscribe("chat:lobby", () => {}, { presence: true }).ready;
    await carol.publish("chat:lobby", { text: "said during the cut" });
    await carol.publish("chat:lobby", { text: "also during the cut" });

    // The network is back: nobody clicks anything.
    proxy.refuse(false);
    for (const page of [alice, bob]) {
      await page.getByText("Connection: Connected").waitFor({ timeout: 60_000 });
      await page.getByText("carol: said during the cut").waitFor({ timeout: 30_000 });
      await page.getByText("carol: also during the cut").waitFor({ timeout: 30_000 });
      await members(page, ["alice", "bob", "carol"]);
      assert.equal(await page.textContent("#subscription"), "subscribed");
    }
    // Recovered once each, in order, after what came before the cut.
    for (const page of [alice, bob]) {
      assert.deepEqual(
        await page.evaluate(
          `[...document.querySelectorAll("#messages li")].map((li) => li.textContent)`,
        ),
        ["alice: before the cut", "carol: said during the cut", "carol: also during the cut"],
      );
    }
    await bob.fill("#text", "back again");
    await bob.click("#say");
    await alice.getByText("bob: back again").waitFor();
  } finally {
    await carol.close();
  }
  // carol's leave reaches both tabs live.
  await members(alice, ["alice", "bob"]);
  await members(bob, ["alice", "bob"]);
  assert.deepEqual(connectionsOf(hub, "alice"), [1]);
  assert.deepEqual(connectionsOf(hub, "bob"), [1]);
  assert.deepEqual(errors, []);
});
