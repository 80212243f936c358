// RealtimeClient's observable state against a real hub: created idle with
// autoConnect: false and connected by connect(), a stable `subscriptions`
// snapshot, each subscription's state with its change event, and the
// position a publish's ack carries.

import assert from "node:assert/strict";
import { RealtimeClient, RealtimeError, type SubscriptionState } from "../../src/client/mod.ts";
import { startTestHub } from "../_support/hub.ts";
import { CHAT_ACL, next, startRestartableHub } from "./_helpers.ts";

const HISTORY = { history: [{ pattern: "chat:*", size: 100, ttlMs: 300_000 }] };

Deno.test("RealtimeClient with autoConnect false opens nothing until connect()", async () => {
  await using h = await startTestHub("deno");
  const rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
    autoConnect: false,
  });
  const states: string[] = [];
  rt.on("state", (state, { previous }) => states.push(`${previous}>${state}`));
  assert.equal(rt.state, "idle");
  // Subscribing and publishing while idle wait for the connection.
  const got = Promise.withResolvers<unknown>();
  const unsubscribe = rt.subscribe("chat:a", (msg) => got.resolve(msg.payload));
  assert.equal(rt.subscriptionState("chat:a"), "subscribing");
  const published = rt.publish("chat:a", "early");
  assert.equal(h.hub.stats().connections, 0);
  rt.connect();
  rt.connect(); // a no-op while connecting
  await rt.opened();
  await unsubscribe.ready;
  await published;
  assert.equal(await got.promise, "early");
  assert.equal(h.hub.stats().connections, 1);
  assert.deepEqual(states, ["idle>connecting", "connecting>open"]);
  await rt.close();
  assert.throws(() => rt.connect(), (e) => e instanceof RealtimeError && e.code === "CLOSED");
});

Deno.test("RealtimeClient closed while idle opened no socket and rejects what waited", async () => {
  await using h = await startTestHub("deno");
  const rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
    autoConnect: false,
  });
  const unsubscribe = rt.subscribe("chat:a", () => {});
  const published = rt.publish("chat:a", 1);
  await rt.close();
  await assert.rejects(unsubscribe.ready, (e) => e instanceof RealtimeError && e.code === "CLOSED");
  await assert.rejects(published, (e) => e instanceof RealtimeError && e.code === "CLOSED");
  assert.equal(rt.state, "closed");
  assert.equal(h.hub.stats().connections, 0);
});

Deno.test("RealtimeClient without a WebSocket is created idle and refuses to connect", () => {
  const saved = globalThis.WebSocket;
  // deno-lint-ignore no-explicit-any
  delete (globalThis as any).WebSocket;
  try {
    assert.throws(
      () => new RealtimeClient({ url: "ws://127.0.0.1:1/ws", token: "a.b.c" }),
      TypeError,
    );
    const rt = new RealtimeClient({
      url: "ws://127.0.0.1:1/ws",
      token: "a.b.c",
      autoConnect: false,
    });
    assert.throws(() => rt.connect(), /no global WebSocket/);
    assert.equal(rt.state, "idle");
    void rt.close();
  } finally {
    globalThis.WebSocket = saved;
  }
});

Deno.test("RealtimeClient.subscriptions is the same array until the topics change", async () => {
  await using h = await startTestHub("deno");
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
  });
  const empty = rt.subscriptions;
  assert.equal(rt.subscriptions, empty);
  const a = rt.subscribe("chat:a", () => {});
  const first = rt.subscriptions;
  assert.notEqual(first, empty);
  assert.deepEqual(first, ["chat:a"]);
  await a.ready; // confirmation changes the state, not the set of topics
  assert.equal(rt.subscriptions, first);
  const again = rt.subscribe("chat:a", () => {}); // a second handler, same topic
  assert.equal(rt.subscriptions, first);
  again();
  a();
  assert.deepEqual(rt.subscriptions, []);
  assert.notEqual(rt.subscriptions, first);
});

Deno.test("RealtimeClient reports each subscription's state across a cut and a refusal", async () => {
  await using h = await startRestartableHub("deno");
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
    backoff: { baseMs: 20, maxMs: 50 },
  });
  const seen: string[] = [];
  let refusal: RealtimeError | undefined;
  rt.on("subscription_state", (topic, state: SubscriptionState, { error }) => {
    seen.push(`${topic} ${state}`);
    if (error !== undefined) refusal = error;
  });
  await rt.subscribe("chat:a", () => {}).ready;
  assert.equal(rt.subscriptionState("chat:a"), "subscribed");
  await h.stop({ graceful: false });
  await next(rt, "state", (state) => state === "reconnecting");
  assert.equal(rt.subscriptionState("chat:a"), "subscribing");
  const back = next(
    rt,
    "subscription_state",
    (topic, state) => topic === "chat:a" && state === "subscribed",
    10_000,
  );
  await h.start();
  await back;
  // A topic outside the ACL: subscribing, then unsubscribed with the hub's code.
  const refused = rt.subscribe("secret:x", () => {});
  await assert.rejects(refused.ready, RealtimeError);
  assert.equal(rt.subscriptionState("secret:x"), "unsubscribed");
  assert.equal(refusal?.code, "FORBIDDEN");
  assert.deepEqual(rt.subscriptions, ["chat:a"]);
  await rt.close();
  assert.deepEqual(seen, [
    "chat:a subscribing",
    "chat:a subscribed",
    "chat:a subscribing",
    "chat:a subscribed",
    "secret:x subscribing",
    "secret:x unsubscribed",
    "chat:a unsubscribed",
  ]);
});

Deno.test("RealtimeClient.publish resolves to the position its ack carries", async () => {
  await using h = await startTestHub("deno", HISTORY);
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
  });
  const first = await rt.publish("chat:a", 1);
  const second = await rt.publish("chat:a", 2);
  assert.equal(typeof first.offset, "number");
  assert.equal(typeof first.epoch, "string");
  assert.deepEqual(second, { offset: first.offset! + 1, epoch: first.epoch });
  // A repeated key is answered with the first publication's position.
  const keyed = await rt.publish("chat:a", 3, { idempotencyKey: "msg-3" });
  assert.deepEqual(await rt.publish("chat:a", 3, { idempotencyKey: "msg-3" }), keyed);
  // No history on the topic, and no ack asked for: nothing to report.
  assert.deepEqual(await rt.publish("chat:a", 4, { ack: false }), {});
});

Deno.test("RealtimeClient.publish on a topic without history resolves to {}", async () => {
  await using h = await startTestHub("deno");
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
  });
  assert.deepEqual(await rt.publish("chat:a", 1), {});
});
