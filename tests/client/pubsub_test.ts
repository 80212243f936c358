// RealtimeClient against a real hub over real sockets: publish, subscribe,
// notifications, refusals, and every way of sending the token.

import assert from "node:assert/strict";
import { RealtimeClient, RealtimeError, type TokenVia } from "../../src/client/mod.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { CHAT_ACL, collect, next } from "./_helpers.ts";

eachTransport("RealtimeClient delivers a publish to every subscriber", async (t) => {
  await using h = await startTestHub(t);
  await using alice = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
  });
  await using bob = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "bob", acl: CHAT_ACL }),
  });
  const atBob = collect(bob, "chat:lobby", 2);
  const atAlice = collect(alice, "chat:*", 2);
  await Promise.all([atBob.ready, atAlice.ready]);
  await alice.publish("chat:lobby", { text: "hi" });
  await alice.publish("chat:lobby", "second");
  assert.deepEqual(await atBob.messages, [{ text: "hi" }, "second"]);
  assert.deepEqual(await atAlice.messages, [{ text: "hi" }, "second"]);
  assert.equal(bob.user, "bob");
  assert.equal(alice.state, "open");
});

eachTransport("RealtimeClient passes sender, topic and time with each message", async (t) => {
  await using h = await startTestHub(t);
  const token = await h.token({ sub: "alice", acl: CHAT_ACL });
  await using rt = new RealtimeClient({ url: h.url, token });
  const got = Promise.withResolvers<unknown>();
  const unsubscribe = rt.subscribe("chat:*", (msg) => got.resolve(msg));
  await unsubscribe.ready;
  await rt.publish("chat:room-1", null);
  const msg = await got.promise as Record<string, unknown>;
  assert.deepEqual([msg.topic, msg.payload, msg.from, typeof msg.ts], [
    "chat:room-1",
    null,
    "alice",
    "number",
  ]);
  unsubscribe();
});

eachTransport("RealtimeClient unsubscribe stops delivery and tells the hub", async (t) => {
  await using h = await startTestHub(t);
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
  });
  const first = rt.subscribe("chat:a", () => {});
  const second = rt.subscribe("chat:a", () => {});
  await Promise.all([first.ready, second.ready]);
  assert.equal(h.hub.subscriptionCount, 1, "one subscribe for two handlers");
  first();
  first(); // idempotent
  assert.deepEqual(rt.subscriptions, ["chat:a"]);
  second();
  assert.deepEqual(rt.subscriptions, []);
  await rt.publish("chat:b", 1); // answered after the unsubscribe, in order
  assert.equal(h.hub.subscriptionCount, 0);
});

eachTransport("RealtimeClient emits server-pushed events as notifications", async (t) => {
  await using h = await startTestHub(t);
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: { "user:alice": ["subscribe"] } }),
  });
  const plain: unknown[] = [];
  const unsubscribe = rt.subscribe("user:alice", (msg) => plain.push(msg.event));
  await unsubscribe.ready;
  const notified = next(rt, "notification");
  await h.hub.publish("user:alice", { n: 1 }, { event: "invoice.paid" });
  const [msg] = await notified;
  assert.deepEqual([msg.event, msg.payload, msg.from], ["invoice.paid", { n: 1 }, null]);
  assert.deepEqual(plain, ["invoice.paid"]);
});

eachTransport(
  "RealtimeClient emits direct messages (sendToUser) as notifications with topic null",
  async (t) => {
    await using h = await startTestHub(t);
    await using rt = new RealtimeClient({
      url: h.url,
      token: await h.token({ sub: "alice", acl: { "chat:*": ["subscribe"] } }),
    });
    const plain: unknown[] = [];
    // A pattern subscription must not be matched against a direct message.
    const unsubscribe = rt.subscribe("chat:*", (msg) => plain.push(msg.topic));
    await unsubscribe.ready;
    const notified = next(rt, "notification");
    assert.equal(h.hub.sendToUser("alice", "personal_update", { credits: 1000 }), 1);
    const [msg] = await notified;
    assert.deepEqual([msg.topic, msg.event, msg.payload, msg.from], [null, "personal_update", {
      credits: 1000,
    }, null]);
    assert.deepEqual(plain, []);
  },
);

eachTransport("RealtimeClient publish rejects with FORBIDDEN from the hub", async (t) => {
  await using h = await startTestHub(t);
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: { "chat:*": ["subscribe"] } }),
  });
  const error = await rt.publish("chat:lobby", "hi").catch((e) => e);
  assert.ok(error instanceof RealtimeError);
  assert.deepEqual([error.code, error.retry, error.topic], ["FORBIDDEN", false, "chat:lobby"]);
  assert.match(error.message, /Not allowed to publish to 'chat:lobby'/);
  assert.equal(rt.state, "open", "a refusal does not drop the connection");
});

eachTransport(
  "RealtimeClient subscribe ready rejects with FORBIDDEN and calls onError",
  async (t) => {
    await using h = await startTestHub(t);
    await using rt = new RealtimeClient({
      url: h.url,
      token: await h.token({ sub: "alice", acl: CHAT_ACL }),
    });
    const seen: string[] = [];
    const unsubscribe = rt.subscribe("admin:secrets", () => {}, {
      onError: (e) => seen.push(e.code),
    });
    const emitted = next(rt, "error");
    const error = await unsubscribe.ready.catch((e) => e);
    assert.deepEqual([error.code, error.topic], ["FORBIDDEN", "admin:secrets"]);
    assert.deepEqual(seen, ["FORBIDDEN"]);
    assert.equal((await emitted)[0].code, "FORBIDDEN");
    assert.deepEqual(rt.subscriptions, [], "a refused subscription is not retried");
  },
);

eachTransport("RealtimeClient subscribe ready rejects with RATE_LIMITED", async (t) => {
  await using h = await startTestHub(t, { limits: { maxSubscriptions: 1 } });
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
  });
  await rt.subscribe("chat:a", () => {}).ready;
  const error = await rt.subscribe("chat:b", () => {}).ready.catch((e) => e);
  assert.deepEqual([error.code, error.retry], ["RATE_LIMITED", true]);
});

for (const tokenVia of ["subprotocol", "query", "message", "header"] as TokenVia[]) {
  eachTransport(`RealtimeClient authenticates with tokenVia '${tokenVia}'`, async (t) => {
    await using h = await startTestHub(t);
    await using rt = new RealtimeClient({
      url: h.url,
      token: await h.token({ sub: "carol", acl: CHAT_ACL }),
      tokenVia,
    });
    await rt.opened();
    assert.equal(rt.user, "carol");
    assert.equal(typeof rt.connectionId, "string");
    await rt.publish("chat:x", 1);
  });
}

Deno.test("RealtimeClient rejects API misuse with TypeError", async () => {
  await using h = await startTestHub("ws");
  await using rt = new RealtimeClient({ url: h.url, token: await h.token({ sub: "a" }) });
  assert.throws(() => rt.subscribe("ch*", () => {}), {
    name: "TypeError",
    message:
      "Cannot subscribe: Invalid pattern 'ch*': segment 1 'ch*' contains '*': a wildcard must be a whole segment",
  });
  assert.throws(() => rt.subscribe("chat:a", "nope" as never), TypeError);
  await assert.rejects(rt.publish("chat:*", 1), TypeError);
  await assert.rejects(rt.publish("chat:a", { n: 1n }), {
    name: "TypeError",
    message: "Cannot publish to 'chat:a': the payload is not JSON-serializable",
  });
  for (const key of ["", "two words", "k".repeat(65), 7 as never]) {
    await assert.rejects(rt.publish("chat:a", 1, { idempotencyKey: key }), {
      name: "TypeError",
      message: "Cannot publish: 'idempotencyKey' must be 1 to 64 printable ASCII characters",
    });
  }
  assert.throws(() => rt.on("nope" as "state", () => {}), TypeError);
});
