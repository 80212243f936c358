// Publishes with an idempotency key over real sockets: the ack carries the
// position, a repeat (also from another connection of the same user) is
// answered with the first position and delivered once, another user's
// same key is a publication of its own.

import assert from "node:assert/strict";
import { connectWelcomed, type TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import type { HubEvent } from "../../src/hub/hub_events.ts";

const ACL = { "chat:*": ["subscribe", "publish", "history"], "plain:*": ["publish"] };
const HISTORY: HubOptions["history"] = [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }];

async function join(h: TestHub, sub: string): Promise<TestSocket> {
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["realtime.v1", "auth", await h.token({ sub, acl: ACL })],
  });
  return socket;
}

eachTransport(
  "a repeated idempotency key is acked with the first position and delivered once",
  async (t) => {
    await using h = await startTestHub(t, { history: HISTORY });
    const watcher = await join(h, "carol");
    await watcher.request({ type: "subscribe", id: "s", topic: "chat:a" });
    const first = await join(h, "alice");
    const publish = { type: "publish", topic: "chat:a", payload: "hi", idempotencyKey: "m-1" };
    const ack = await first.request({ ...publish, id: 1 });
    assert.equal(ack.type, "ack");
    assert.equal(ack.offset, 1);
    assert.equal(typeof ack.epoch, "string");
    // The same user on a new connection (a client that reconnected) sends it again.
    await first.close();
    const again = await join(h, "alice");
    assert.deepEqual(await again.request({ ...publish, id: 2 }), { ...ack, id: 2 });
    // Bob's key of the same text is his own publication.
    const bob = await join(h, "bob");
    const bobs = await bob.request({ ...publish, id: 3, payload: "bob" });
    assert.equal(bobs.offset, 2);
    // Without a key, the ack stays as it was.
    assert.deepEqual(await again.request({ type: "publish", id: 4, topic: "chat:a", payload: 3 }), {
      type: "ack",
      id: 4,
    });
    const history = await again.request({ type: "history", id: 5, topic: "chat:a" });
    assert.deepEqual(history.publications.map((p: { payload: unknown }) => p.payload), [
      "hi",
      "bob",
      3,
    ]);
    const delivered = [];
    for (let i = 0; i < 3; i++) {
      delivered.push((await watcher.next((f) => f.type === "message")).payload);
    }
    await watcher.request({ type: "ping", id: "p" });
    assert.deepEqual(delivered, ["hi", "bob", 3]);
    assert.deepEqual(watcher.pending.filter((f) => f.type === "message"), [], "no second delivery");
    for (const s of [watcher, again, bob]) await s.close();
  },
);

eachTransport("a malformed idempotency key is refused and the connection lives on", async (t) => {
  await using h = await startTestHub(t, { history: HISTORY });
  const socket = await join(h, "alice");
  const reply = await socket.request({
    type: "publish",
    id: 1,
    topic: "chat:a",
    payload: 1,
    idempotencyKey: "two words",
  });
  assert.deepEqual([reply.type, reply.code, reply.id], ["error", "BAD_REQUEST", 1]);
  const history = await socket.request({ type: "history", id: 2, topic: "chat:a" });
  assert.deepEqual(history.publications, [], "nothing was published");
  await socket.close();
});

eachTransport("hub.publish with an idempotencyKey publishes a repeat once", async (t) => {
  await using h = await startTestHub(t, { history: HISTORY });
  const watcher = await join(h, "carol");
  await watcher.request({ type: "subscribe", id: "s", topic: "chat:a" });
  const first = await h.hub.publish("chat:a", "server", { idempotencyKey: "job-9" });
  const again = await h.hub.publish("chat:a", "server", { idempotencyKey: "job-9" });
  assert.deepEqual(again, first);
  // The server's keys are its own: a user's same key is another publication.
  const user = await h.hub.publish("chat:a", "user", { idempotencyKey: "job-9", from: "alice" });
  assert.equal(user?.offset, 2);
  await assert.rejects(h.hub.publish("chat:a", 1, { idempotencyKey: "" }), TypeError);
  assert.equal((await watcher.next((f) => f.type === "message")).payload, "server");
  assert.equal((await watcher.next((f) => f.type === "message")).payload, "user");
  await watcher.request({ type: "ping", id: "p" });
  assert.deepEqual(watcher.pending.filter((f) => f.type === "message"), []);
  await watcher.close();
});

eachTransport("a repeated idempotency key is told to the events observer once", async (t) => {
  const events: HubEvent[] = [];
  await using h = await startTestHub(t, { history: HISTORY, events: (e) => events.push(e) });
  const socket = await join(h, "alice");
  for (const [id, topic] of [[1, "chat:a"], [2, "chat:a"], [3, "plain:a"], [4, "plain:a"]]) {
    const reply = await socket.request({
      type: "publish",
      id,
      topic,
      payload: 1,
      idempotencyKey: "once",
    });
    assert.equal(reply.type, "ack");
  }
  await h.hub.publish("chat:a", 2, { idempotencyKey: "job" });
  await h.hub.publish("chat:a", 2, { idempotencyKey: "job" });
  const publications = events.filter((e) => e.type === "publication");
  assert.deepEqual(publications.map((e) => e.type === "publication" && `${e.topic} ${e.from}`), [
    "chat:a alice",
    "plain:a alice",
    "chat:a null",
  ]);
  await socket.close();
});

Deno.test("hub.broadcast with an idempotencyKey publishes once, and refuses one with users", async () => {
  await using h = await startTestHub("deno", { history: HISTORY });
  const broadcast = (payload: string) =>
    h.hub.broadcast({ topic: "chat:b", payload, idempotencyKey: "b-1" });
  await broadcast("first");
  await broadcast("again");
  const { publications } = await h.hub.history("chat:b");
  assert.deepEqual(publications.map((p) => p.publication.data), ['"first"']);
  await assert.rejects(
    () => h.hub.broadcast({ topic: "chat:b", payload: 1, users: ["bob"], idempotencyKey: "b-2" }),
    TypeError,
  );
  await assert.rejects(() => h.hub.broadcast({ payload: 1, idempotencyKey: "b-3" }), TypeError);
  assert.equal((await h.hub.history("chat:b")).publications.length, 1);
});
