// RealtimeClient's side of history recovery, against a scripted hub on
// 127.0.0.1 (the real hub does not speak these frames yet): the position it
// keeps, the `since` it sends after a reconnect, what it reports, and that
// it never delivers an offset twice or out of order.

import assert from "node:assert/strict";
import { RealtimeClient, type SubscribedInfo } from "../../src/client/mod.ts";
import { next } from "./_helpers.ts";
import { type Frame, scriptedPeer } from "./_scripted_peer.ts";

const msg = (offset: number, topic = "chat:a") => ({
  type: "message",
  topic,
  payload: offset,
  from: "bob",
  ts: 1,
  offset,
});

function client(url: string): RealtimeClient {
  return new RealtimeClient({
    url,
    token: "a.b.c",
    backoff: { baseMs: 1, maxMs: 1 },
    heartbeatMs: 0,
  });
}

/** Subscribes and collects payloads; resolves `reached` once `count` arrived. */
function tracked(rt: RealtimeClient, topic: string) {
  const seen: unknown[] = [];
  const subscribed: SubscribedInfo[] = [];
  rt.on("subscribed", (info) => subscribed.push(info));
  const unsubscribe = rt.subscribe(topic, (m) => seen.push(m.payload));
  return { seen, subscribed, unsubscribe };
}

/** Returns once the client read every frame the peer sent before. */
async function sync(rt: RealtimeClient): Promise<void> {
  await rt.publish("probe:sync", 0);
}

/** Answers the next subscribe on `conn` with `reply` fields, returning the request. */
async function answerSubscribe(
  conn: { nextOf(type: string): Promise<Frame>; send(...f: Frame[]): void },
  reply: Frame,
  ...after: Frame[]
): Promise<Frame> {
  const request = await conn.nextOf("subscribe");
  conn.send({ type: "ack", id: request.id, ...reply }, ...after);
  return request;
}

Deno.test("RealtimeClient resubscribes with since after a reconnect and delivers each offset once", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const { seen, subscribed, unsubscribe } = tracked(rt, "chat:a");
  const first = await peer.connection(1);
  const request = await answerSubscribe(first, { offset: 3, epoch: "e1" }, msg(4), msg(5));
  assert.equal("since" in request, false, "the first subscribe has no position to send");
  await unsubscribe.ready;
  const delivered = next(rt, "subscribed", (info) => info.resubscribed);
  first.close(4008);

  const second = await peer.connection(2);
  // The replay (6, 7), a duplicate of 7 and of 5, then live 8.
  const again = await answerSubscribe(
    second,
    { offset: 7, epoch: "e1", recovered: true },
    msg(6),
    msg(7),
    msg(7),
    msg(5),
    msg(8),
  );
  assert.deepEqual(again.since, { offset: 5, epoch: "e1" });
  const [info] = await delivered;
  assert.deepEqual(info, {
    topic: "chat:a",
    resubscribed: true,
    recovered: true,
    missed: 2,
    position: { offset: 5, epoch: "e1" },
  });
  await sync(rt);
  assert.deepEqual(seen, [4, 5, 6, 7, 8]);
  assert.deepEqual(subscribed[0], {
    topic: "chat:a",
    resubscribed: false,
    position: { offset: 3, epoch: "e1" },
  });
});

Deno.test("RealtimeClient reports recovered: false and continues from the hub's new position", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const { seen, unsubscribe } = tracked(rt, "chat:a");
  const first = await peer.connection(1);
  await answerSubscribe(first, { offset: 10, epoch: "e1" }, msg(11));
  await unsubscribe.ready;
  await sync(rt);
  const reported = next(rt, "subscribed", (info) => info.resubscribed);
  first.close(4008);
  const second = await peer.connection(2);
  // A restarted hub: another epoch, nothing replayed; 20 is not above the new position.
  const again = await answerSubscribe(
    second,
    { offset: 20, epoch: "e2", recovered: false },
    msg(20),
    msg(21),
  );
  assert.deepEqual(again.since, { offset: 11, epoch: "e1" });
  const [info] = await reported;
  assert.equal(info.recovered, false);
  assert.deepEqual(info.position, { offset: 20, epoch: "e2" });
  await sync(rt);
  assert.deepEqual(seen, [11, 21]);
});

Deno.test("RealtimeClient never reports a recovery the hub did not confirm", async () => {
  const replies: [Frame, string][] = [
    [{}, "a hub that keeps no history for the topic (no position)"],
    [{ offset: 12, epoch: "e1" }, "a reply without 'recovered'"],
    [{ offset: 12, epoch: "other", recovered: true }, "recovered: true in another epoch"],
  ];
  for (const [reply, what] of replies) {
    await using peer = scriptedPeer();
    await using rt = client(peer.url);
    const { unsubscribe } = tracked(rt, "chat:a");
    const first = await peer.connection(1);
    await answerSubscribe(first, { offset: 10, epoch: "e1" });
    await unsubscribe.ready;
    const reported = next(rt, "subscribed", (info) => info.resubscribed);
    first.close(4008);
    await answerSubscribe(await peer.connection(2), reply);
    const [info] = await reported;
    assert.equal(info.recovered, false, what);
  }
});

Deno.test("RealtimeClient resubscribes with since when a live offset skips one", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const { seen, unsubscribe } = tracked(rt, "chat:a");
  const conn = await peer.connection(1);
  await answerSubscribe(conn, { offset: 1, epoch: "e1" }, msg(2), msg(4), msg(5));
  await unsubscribe.ready;
  const unsub = await conn.nextOf("unsubscribe");
  assert.equal(unsub.topic, "chat:a");
  const again = await answerSubscribe(
    conn,
    { offset: 5, epoch: "e1", recovered: true },
    msg(3),
    msg(4),
    msg(5),
  );
  assert.deepEqual(again.since, { offset: 2, epoch: "e1" });
  // The unsubscribe went first, back to back with the subscribe.
  const order = conn.received.map((f) => f.type);
  assert.deepEqual(order.slice(-2), ["unsubscribe", "subscribe"]);
  await sync(rt);
  assert.deepEqual(seen, [2, 3, 4, 5]);
});

Deno.test("RealtimeClient answers insufficient_state by resubscribing with since", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const { seen, subscribed, unsubscribe } = tracked(rt, "chat:a");
  const conn = await peer.connection(1);
  await answerSubscribe(conn, { offset: 7, epoch: "e1" }, msg(8));
  await unsubscribe.ready;
  // While the resubscribe is pending: 9 follows and is delivered, 11 does not
  // and waits for the replay.
  conn.send({ type: "insufficient_state", topic: "chat:a" }, msg(9), msg(11));
  await conn.nextOf("unsubscribe");
  const again = await answerSubscribe(
    conn,
    { offset: 11, epoch: "e1", recovered: true },
    msg(10),
    msg(11),
  );
  assert.deepEqual(again.since, { offset: 8, epoch: "e1" });
  await sync(rt);
  assert.deepEqual(seen, [8, 9, 10, 11]);
  assert.deepEqual(subscribed.map((i) => [i.resubscribed, i.recovered]), [
    [false, undefined],
    [true, true],
  ]);
  // An insufficient_state for a topic not subscribed changes nothing.
  conn.send({ type: "insufficient_state", topic: "chat:zzz" });
  await sync(rt);
  assert.equal(conn.received.filter((f) => f.type === "subscribe").length, 2);
});

Deno.test("RealtimeClient subscribes without since when the topic no longer keeps history", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const { unsubscribe } = tracked(rt, "chat:a");
  const first = await peer.connection(1);
  await answerSubscribe(first, { offset: 3, epoch: "e1" });
  await unsubscribe.ready;
  const reported = next(rt, "subscribed", (info) => info.resubscribed);
  first.close(4008);
  const second = await peer.connection(2);
  const withSince = await second.nextOf("subscribe");
  assert.deepEqual(withSince.since, { offset: 3, epoch: "e1" });
  second.send({
    type: "error",
    id: withSince.id,
    code: "NO_HISTORY",
    message: "Topic 'chat:a' keeps no history",
    retry: false,
  });
  const plain = await answerSubscribe(second, {});
  assert.equal("since" in plain, false);
  const [info] = await reported;
  assert.equal(info.recovered, false);
  assert.deepEqual(rt.subscriptions, ["chat:a"]);
});

Deno.test("RealtimeClient does not recover pattern subscriptions", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const { seen, unsubscribe } = tracked(rt, "chat:*");
  const first = await peer.connection(1);
  // Offsets of several topics interleave under a pattern: all are delivered.
  await answerSubscribe(first, {}, msg(5, "chat:a"), msg(1, "chat:b"), msg(5, "chat:b"));
  await unsubscribe.ready;
  await sync(rt);
  first.close(4008);
  const again = await (await peer.connection(2)).nextOf("subscribe");
  assert.equal(again.topic, "chat:*");
  assert.equal("since" in again, false);
  assert.deepEqual(seen, [5, 1, 5]);
  assert.throws(
    () => rt.subscribe("news:*", () => {}, { since: { offset: 1, epoch: "e" } }),
    TypeError,
  );
});

Deno.test("RealtimeClient subscribes from a position the application gives", async () => {
  await using peer = scriptedPeer();
  await using rt = client(peer.url);
  const seen: unknown[] = [];
  const unsubscribe = rt.subscribe("chat:a", (m) => seen.push(m.payload), {
    since: { offset: 41, epoch: "e9" },
  });
  const conn = await peer.connection(1);
  const request = await answerSubscribe(
    conn,
    { offset: 42, epoch: "e9", recovered: true },
    msg(41),
    msg(42),
  );
  assert.deepEqual(request.since, { offset: 41, epoch: "e9" });
  await unsubscribe.ready;
  await sync(rt);
  assert.deepEqual(seen, [42]);
  for (const since of [{ offset: -1, epoch: "e" }, { offset: 1, epoch: "" }, null]) {
    assert.throws(() => rt.subscribe("chat:c", () => {}, { since: since as never }), TypeError);
  }
});
