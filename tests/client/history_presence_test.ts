// RealtimeClient's history, presence and fire-and-forget publish, against a
// scripted hub on 127.0.0.1 (the real hub does not speak these frames yet):
// what it sends, and what it makes of the replies.

import assert from "node:assert/strict";
import { RealtimeClient, RealtimeError } from "../../src/client/mod.ts";
import { next } from "./_helpers.ts";
import { scriptedPeer } from "./_scripted_peer.ts";

function client(url: string): RealtimeClient {
  return new RealtimeClient({
    url,
    token: "a.b.c",
    backoff: { baseMs: 1, maxMs: 1 },
    heartbeatMs: 0,
    requestTimeoutMs: 2000,
  });
}

Deno.test("RealtimeClient.history sends its options and reads the reply", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  // Asked while still connecting: it waits for the connection.
  const result = rt.history("chat:a", { since: { offset: 2, epoch: "e1" }, limit: 2 });
  const conn = await peer.connection(1);
  const request = await conn.nextOf("history");
  assert.deepEqual(request, {
    type: "history",
    id: request.id,
    topic: "chat:a",
    since: { offset: 2, epoch: "e1" },
    limit: 2,
  });
  conn.send({
    type: "history",
    id: request.id,
    topic: "chat:a",
    offset: 9,
    epoch: "e1",
    publications: [
      { offset: 3, payload: { text: "a" }, from: "bob", ts: 10 },
      { offset: 4, payload: null, from: null, ts: 11, event: "system" },
      "not a publication",
    ],
  });
  assert.deepEqual(await result, {
    position: { offset: 9, epoch: "e1" },
    publications: [
      { topic: "chat:a", offset: 3, payload: { text: "a" }, from: "bob", ts: 10 },
      { topic: "chat:a", offset: 4, payload: null, from: null, ts: 11, event: "system" },
    ],
  });

  const newest = rt.history("chat:a", { reverse: true });
  const second = await conn.nextOf("history");
  assert.deepEqual(second, { type: "history", id: second.id, topic: "chat:a", reverse: true });
  conn.send({
    type: "error",
    id: second.id,
    code: "NO_HISTORY",
    message: "Topic 'chat:a' keeps no history",
    retry: false,
  });
  await assert.rejects(newest, (e) => e instanceof RealtimeError && e.code === "NO_HISTORY");
});

Deno.test("RealtimeClient.history refuses bad arguments before sending anything", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  await rt.opened();
  await assert.rejects(rt.history("chat:*"), TypeError);
  for (const limit of [-1, 1001, 2.5, NaN]) {
    await assert.rejects(rt.history("chat:a", { limit }), RangeError, String(limit));
  }
  await rt.publish("probe:sync", 0);
  assert.deepEqual((await peer.connection(1)).received, []);
});

Deno.test("RealtimeClient.presence and presenceStats read the replies", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  await rt.opened();
  const conn = await peer.connection(1);
  const members = rt.presence("room:1");
  const asked = await conn.nextOf("presence");
  assert.deepEqual(asked, { type: "presence", id: asked.id, topic: "room:1" });
  conn.send({
    type: "presence",
    id: asked.id,
    topic: "room:1",
    clients: [
      { user: "alice", connectionId: "c1", info: { name: "Alice" } },
      { user: "alice", connectionId: "c2" },
      { user: 7, connectionId: "bad" },
    ],
  });
  assert.deepEqual(await members, [
    { user: "alice", connectionId: "c1", info: { name: "Alice" } },
    { user: "alice", connectionId: "c2" },
  ]);

  const stats = rt.presenceStats("room:1");
  const statsAsked = await conn.nextOf("presence_stats");
  conn.send({
    type: "presence_stats",
    id: statsAsked.id,
    topic: "room:1",
    connections: 2,
    users: 1,
  });
  assert.deepEqual(await stats, { connections: 2, users: 1 });

  const denied = rt.presence("room:2");
  const deniedAsked = await conn.nextOf("presence");
  conn.send({ type: "error", id: deniedAsked.id, code: "FORBIDDEN", message: "no", retry: false });
  await assert.rejects(denied, (e) => e instanceof RealtimeError && e.code === "FORBIDDEN");
  await assert.rejects(rt.presenceStats("room:**"), TypeError);
});

Deno.test("RealtimeClient asks for join and leave events and emits them", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const events: unknown[] = [];
  rt.on("presence", (event) => events.push(event));
  const unsubscribe = rt.subscribe("room:1", () => {}, { presence: true });
  const conn = await peer.connection(1);
  const request = await conn.nextOf("subscribe");
  assert.equal(request.presence, true);
  conn.send(
    { type: "ack", id: request.id },
    { type: "join", topic: "room:1", user: "bob", connectionId: "c7", info: { name: "Bob" } },
    { type: "leave", topic: "room:1", user: "bob", connectionId: "c7" },
    // Not subscribed: ignored.
    { type: "join", topic: "room:2", user: "eve", connectionId: "c8" },
  );
  await unsubscribe.ready;
  await rt.publish("probe:sync", 0);
  assert.deepEqual(events, [
    { action: "join", topic: "room:1", user: "bob", connectionId: "c7", info: { name: "Bob" } },
    { action: "leave", topic: "room:1", user: "bob", connectionId: "c7" },
  ]);
  // Without the option, the subscribe frame is as before.
  rt.subscribe("room:3", () => {});
  const plain = await conn.nextOf("subscribe");
  assert.deepEqual(plain, { type: "subscribe", topic: "room:3", id: plain.id });
});

Deno.test("RealtimeClient.publish with ack: false sends no id and waits for nothing", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  // Queued while connecting, sent on connect without an id.
  await rt.publish("chat:a", 1, { ack: false });
  const conn = await peer.connection(1);
  assert.deepEqual(await conn.nextOf("publish"), { type: "publish", topic: "chat:a", payload: 1 });
  await rt.publish("chat:a", 2, { ack: false });
  assert.deepEqual(await conn.nextOf("publish"), { type: "publish", topic: "chat:a", payload: 2 });
  // The default still asks for an ack.
  const acked = rt.publish("chat:a", 3);
  const request = await conn.nextOf("publish");
  assert.equal(typeof request.id, "number");
  conn.send({ type: "ack", id: request.id });
  await acked;
  // A refusal of a fire-and-forget publish reaches `error` listeners.
  const reported = next(rt, "error");
  conn.send({
    type: "error",
    code: "FORBIDDEN",
    message: "Cannot publish to 'chat:a'",
    retry: false,
  });
  const [error] = await reported;
  assert.equal(error.code, "FORBIDDEN");
});
