// History and recovery over real sockets against a real hub: positions in
// replies and messages, all-or-nothing recovery, history requests and their
// bad input, history TTL on an injected clock.

import assert from "node:assert/strict";
import { connectWelcomed, type Frame, type TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import type { HubOptions } from "../../src/hub/options.ts";

const ACL = {
  "chat:*": ["subscribe", "publish", "history"],
  "news:*": ["subscribe", "publish"],
  "log:*": ["history"],
};
const OPTIONS: Partial<HubOptions> = {
  history: [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }],
  maxRecover: 8,
};

async function join(h: TestHub, sub = "alice", acl: unknown = ACL): Promise<TestSocket> {
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["realtime.v1", "auth", await h.token({ sub, acl } as never)],
  });
  return socket;
}

/** The next `count` messages of a topic, in arrival order. */
async function messages(socket: TestSocket, topic: string, count: number): Promise<Frame[]> {
  const got: Frame[] = [];
  while (got.length < count) {
    got.push(await socket.next((f) => f.type === "message" && f.topic === topic));
  }
  return got;
}

/** Connection still usable: a ping is answered. */
async function alive(socket: TestSocket): Promise<void> {
  assert.equal((await socket.request({ type: "ping", id: "alive" })).type, "pong");
}

eachTransport(
  "subscribe to a topic with history replies its position; messages carry offsets",
  async (t) => {
    await using h = await startTestHub(t, OPTIONS);
    const socket = await join(h);
    await h.hub.publish("chat:a", "before");
    const ack = await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    assert.equal(ack.offset, 1);
    assert.equal(typeof ack.epoch, "string");
    assert.equal(ack.recovered, undefined);
    const position = await h.hub.publish("chat:a", "after");
    assert.deepEqual(position, { offset: 2, epoch: ack.epoch });
    const [message] = await messages(socket, "chat:a", 1);
    assert.equal(message.offset, 2);
    assert.equal(message.payload, "after");
    // A topic without history: a plain ack and no offsets, as before.
    const plain = await socket.request({ type: "subscribe", id: 2, topic: "news:a" });
    assert.deepEqual(plain, { type: "ack", id: 2 });
    assert.equal(await h.hub.publish("news:a", 1), undefined);
    const [news] = await messages(socket, "news:a", 1);
    assert.equal("offset" in news, false);
    await socket.close();
  },
);

eachTransport(
  "subscribe with since replays exactly the missed publications, then live ones",
  async (t) => {
    await using h = await startTestHub(t, OPTIONS);
    const socket = await join(h);
    const first = await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    await socket.request({ type: "unsubscribe", id: 2, topic: "chat:a" });
    for (let i = 1; i <= 5; i++) await h.hub.publish("chat:a", i);
    const ack = await socket.request({
      type: "subscribe",
      id: 3,
      topic: "chat:a",
      since: { offset: 2, epoch: first.epoch },
    });
    assert.deepEqual(ack, { type: "ack", id: 3, offset: 5, epoch: first.epoch, recovered: true });
    await h.hub.publish("chat:a", 6);
    const got = await messages(socket, "chat:a", 4);
    assert.deepEqual(got.map((m) => [m.offset, m.payload]), [[3, 3], [4, 4], [5, 5], [6, 6]]);
    await socket.close();
  },
);

eachTransport(
  "a second subscribe with since on a topic already held gets a plain ack and replays nothing",
  async (t) => {
    await using h = await startTestHub(t, OPTIONS);
    const socket = await join(h);
    const first = await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    for (let i = 1; i <= 3; i++) await h.hub.publish("chat:a", i);
    assert.deepEqual((await messages(socket, "chat:a", 3)).map((m) => m.offset), [1, 2, 3]);
    // docs/protocol.md, "Subscribe with a position": no position, no recovery, no replay.
    const again = await socket.request({
      type: "subscribe",
      id: 2,
      topic: "chat:a",
      since: { offset: 0, epoch: first.epoch },
    });
    assert.deepEqual(again, { type: "ack", id: 2 });
    await h.hub.publish("chat:a", 4);
    const [live] = await messages(socket, "chat:a", 1);
    assert.equal(live.offset, 4);
    assert.equal(socket.pending.filter((f) => f.type === "message").length, 0, "nothing replayed");
    // Unsubscribing first is how to recover again.
    await socket.request({ type: "unsubscribe", id: 3, topic: "chat:a" });
    const recovered = await socket.request({
      type: "subscribe",
      id: 4,
      topic: "chat:a",
      since: { offset: 2, epoch: first.epoch },
    });
    assert.deepEqual([recovered.recovered, recovered.offset], [true, 4]);
    assert.deepEqual((await messages(socket, "chat:a", 2)).map((m) => m.offset), [3, 4]);
    await socket.close();
  },
);

eachTransport(
  "recovery answers recovered: false and replays nothing past history, cap or epoch",
  async (t) => {
    await using h = await startTestHub(t, OPTIONS);
    const socket = await join(h);
    const { epoch } = await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    await socket.request({ type: "unsubscribe", id: 2, topic: "chat:a" });
    // 20 missed, history holds 10: a gap.
    for (let i = 1; i <= 20; i++) await h.hub.publish("chat:a", i);
    const cases = [
      { since: { offset: 0, epoch }, why: "gap larger than history" },
      { since: { offset: 11, epoch }, why: "9 missed, above maxRecover 8" },
      { since: { offset: 19, epoch: "another" }, why: "another epoch" },
      { since: { offset: 25, epoch }, why: "ahead of the stream" },
    ];
    for (const [i, { since, why }] of cases.entries()) {
      const ack = await socket.request({ type: "subscribe", id: 10 + i, topic: "chat:a", since });
      assert.equal(ack.recovered, false, why);
      assert.equal(ack.offset, 20, why);
      await socket.request({ type: "unsubscribe", id: 20 + i, topic: "chat:a" });
    }
    await h.hub.publish("chat:a", 21);
    // Nothing was replayed: only live publications arrived, and only while subscribed.
    await socket.request({ type: "subscribe", id: 30, topic: "chat:a" });
    await h.hub.publish("chat:a", 22);
    const [only] = await messages(socket, "chat:a", 1);
    assert.equal(only.offset, 22);
    assert.equal(socket.pending.filter((f) => f.type === "message").length, 0);
    await socket.close();
  },
);

eachTransport("history answers oldest or newest first, after or before a position", async (t) => {
  await using h = await startTestHub(t, OPTIONS);
  const socket = await join(h);
  for (let i = 1; i <= 5; i++) {
    await h.hub.publish("chat:a", i, { event: i === 5 ? "last" : undefined });
  }
  const all = await socket.request({ type: "history", id: 1, topic: "chat:a" });
  assert.deepEqual(all.publications.map((p: Frame) => p.payload), [1, 2, 3, 4, 5]);
  assert.equal(all.offset, 5);
  assert.equal(all.publications[4].event, "last");
  const newest = await socket.request({
    type: "history",
    id: 2,
    topic: "chat:a",
    limit: 2,
    reverse: true,
  });
  assert.deepEqual(newest.publications.map((p: Frame) => p.offset), [5, 4]);
  const after = await socket.request({
    type: "history",
    id: 3,
    topic: "chat:a",
    since: { offset: 3, epoch: all.epoch },
  });
  assert.deepEqual(after.publications.map((p: Frame) => p.offset), [4, 5]);
  const position = await socket.request({ type: "history", id: 4, topic: "chat:a", limit: 0 });
  assert.deepEqual([position.publications, position.offset], [[], 5]);
  assert.deepEqual(
    (await h.hub.history("chat:a", { limit: 1, reverse: true })).publications[0].offset,
    5,
  );
  await socket.close();
});

eachTransport(
  "every history and recovery request with bad input gets its error and the connection stays",
  async (t) => {
    await using h = await startTestHub(t, OPTIONS);
    const socket = await join(h);
    const cases: [Frame, string][] = [
      [{ type: "history", topic: "chat:a", since: { offset: -1, epoch: "e" } }, "BAD_REQUEST"],
      [{ type: "history", topic: "chat:a", since: "5" }, "BAD_REQUEST"],
      [{ type: "history", topic: "chat:a", since: { offset: 1, epoch: "" } }, "BAD_REQUEST"],
      [{ type: "history", topic: "chat:a", limit: -1 }, "BAD_REQUEST"],
      [{ type: "history", topic: "chat:a", limit: 1e9 }, "BAD_REQUEST"],
      [{ type: "history", topic: "chat:a", limit: 1.5 }, "BAD_REQUEST"],
      [{ type: "history", topic: "chat:a", reverse: "yes" }, "BAD_REQUEST"],
      [{ type: "history", topic: "chat:*" }, "BAD_REQUEST"],
      [{ type: "history", topic: "chat:a:" }, "BAD_REQUEST"],
      [{ type: "history", topic: "news:a" }, "FORBIDDEN"],
      [{ type: "history", topic: "log:a" }, "NO_HISTORY"],
      [{ type: "subscribe", topic: "chat:*", since: { offset: 0, epoch: "e" } }, "BAD_REQUEST"],
      [{ type: "subscribe", topic: "chat:b", since: { offset: 0.5, epoch: "e" } }, "BAD_REQUEST"],
      [{ type: "subscribe", topic: "news:b", since: { offset: 0, epoch: "e" } }, "NO_HISTORY"],
      [{ type: "subscribe", topic: "secret:b", since: { offset: 0, epoch: "e" } }, "FORBIDDEN"],
    ];
    for (const [i, [frame, code]] of cases.entries()) {
      const reply = await socket.request({ ...frame, id: i });
      assert.equal(reply.type, "error", JSON.stringify(frame));
      assert.equal(reply.code, code, JSON.stringify(frame));
      assert.ok(!reply.message.includes("eyJ"), "no token in the message");
    }
    await alive(socket);
    // Nothing changed: no subscription was left behind by a refused one.
    assert.equal(h.hub.subscriptionCount, 0);
    await socket.close();
  },
);

Deno.test("history expires after its TTL on the injected clock, and recovery then says recovered: false", async () => {
  const clock = new ManualClock(1_000_000);
  await using h = await startTestHub("deno", {
    clock,
    history: [{ pattern: "chat:*", size: 10, ttlMs: 1000 }],
  });
  const socket = await join(h);
  const { epoch } = await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
  await socket.request({ type: "unsubscribe", id: 2, topic: "chat:a" });
  await h.hub.publish("chat:a", 1);
  await h.hub.publish("chat:a", 2);
  clock.advance(999);
  const held = await socket.request({ type: "history", id: 3, topic: "chat:a" });
  assert.equal(held.publications.length, 2);
  clock.advance(2);
  const expired = await socket.request({ type: "history", id: 4, topic: "chat:a" });
  assert.deepEqual(expired.publications, []);
  const ack = await socket.request({
    type: "subscribe",
    id: 5,
    topic: "chat:a",
    since: { offset: 0, epoch },
  });
  assert.equal(ack.recovered, false);
  await socket.close();
});

// Recovery reads history: replaying from a position this connection was
// never given needs the `history` permission (finding 3 of issue 22).
const SUBSCRIBE_ONLY = { "chat:*": ["subscribe", "publish"] };

/** Every frame received so far that is a message of `topic`. */
function messagesSoFar(socket: TestSocket, topic: string): Frame[] {
  return socket.pending.filter((f) => f.type === "message" && f.topic === topic);
}

/** Waits for a publication made after the reply, proving nothing else came before it. */
async function nextIsLive(socket: TestSocket, h: TestHub, topic: string): Promise<void> {
  const marker = await h.hub.publish(topic, "live");
  const [first] = await messages(socket, topic, 1);
  assert.deepEqual([first.offset, first.payload], [marker!.offset, "live"], "nothing replayed");
}

eachTransport(
  "subscribe with since from a fresh connection without history permission replays nothing",
  async (t) => {
    await using h = await startTestHub(t, OPTIONS);
    for (let i = 1; i <= 5; i++) await h.hub.publish("chat:a", `secret ${i}`);
    const socket = await join(h, "mallory", SUBSCRIBE_ONLY);
    const read = await socket.request({ type: "history", id: 1, topic: "chat:a" });
    assert.deepEqual([read.type, read.code], ["error", "FORBIDDEN"]);
    const { epoch } = await h.hub.history("chat:a", { limit: 0 }).then((r) => r.position);
    const ack = await socket.request({
      type: "subscribe",
      id: 2,
      topic: "chat:a",
      since: { offset: 0, epoch },
    });
    // The subscription holds (the client may subscribe), but nothing of the past is replayed.
    assert.deepEqual(ack, { type: "ack", id: 2, offset: 5, epoch, recovered: false });
    await nextIsLive(socket, h, "chat:a");
    assert.equal(messagesSoFar(socket, "chat:a").length, 0);
    assert.ok(h.logs.some((e) => e.event === "acl.denied" && e.action === "history"));
    await socket.close();
  },
);

eachTransport(
  "subscribe with since below the position this connection was given needs history permission",
  async (t) => {
    await using h = await startTestHub(t, OPTIONS);
    for (let i = 1; i <= 4; i++) await h.hub.publish("chat:a", `before ${i}`);
    const socket = await join(h, "mallory", SUBSCRIBE_ONLY);
    const first = await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    assert.equal(first.offset, 4);
    await socket.request({ type: "unsubscribe", id: 2, topic: "chat:a" });
    // Below its own position (4): the publications from before it joined are not its to read.
    const below = await socket.request({
      type: "subscribe",
      id: 3,
      topic: "chat:a",
      since: { offset: 1, epoch: first.epoch },
    });
    assert.deepEqual(below, {
      type: "ack",
      id: 3,
      offset: 4,
      epoch: first.epoch,
      recovered: false,
    });
    await nextIsLive(socket, h, "chat:a");
    assert.equal(messagesSoFar(socket, "chat:a").length, 0);
    await socket.close();
  },
);

eachTransport(
  "subscribe with since at or after its own position recovers without history permission",
  async (t) => {
    await using h = await startTestHub(t, OPTIONS);
    await h.hub.publish("chat:a", "before");
    const socket = await join(h, "bob", SUBSCRIBE_ONLY);
    const first = await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    await h.hub.publish("chat:a", "seen");
    const [seen] = await messages(socket, "chat:a", 1);
    // What a client does after a gap or insufficient_state: unsubscribe, then resume from where it was.
    await socket.request({ type: "unsubscribe", id: 2, topic: "chat:a" });
    for (let i = 1; i <= 2; i++) await h.hub.publish("chat:a", `missed ${i}`);
    const ack = await socket.request({
      type: "subscribe",
      id: 3,
      topic: "chat:a",
      since: { offset: seen.offset, epoch: first.epoch },
    });
    assert.deepEqual(ack, { type: "ack", id: 3, offset: 4, epoch: first.epoch, recovered: true });
    const got = await messages(socket, "chat:a", 2);
    assert.deepEqual(got.map((m) => m.payload), ["missed 1", "missed 2"]);
    // Another epoch is not its position either: nothing replayed, as ever.
    await socket.request({ type: "unsubscribe", id: 4, topic: "chat:a" });
    const foreign = await socket.request({
      type: "subscribe",
      id: 5,
      topic: "chat:a",
      since: { offset: 4, epoch: "another" },
    });
    assert.equal(foreign.recovered, false);
    await socket.close();
  },
);

eachTransport(
  "a subscription the rules ended forgets its position: resuming it later needs history permission",
  async (t) => {
    const allow = (actions: string[]) => [
      { effect: "allow" as const, actions: actions as never, topics: ["chat:*"] },
    ];
    await using h = await startTestHub(t, { ...OPTIONS, acl: { rules: allow(["subscribe"]) } });
    const socket = await join(h, "bob", {});
    const first = await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    await h.hub.updateRules([]);
    assert.equal((await socket.next((f) => f.type === "unsubscribed")).code, "FORBIDDEN");
    await h.hub.publish("chat:a", "while refused");
    await h.hub.updateRules(allow(["subscribe"]));
    const again = await socket.request({
      type: "subscribe",
      id: 2,
      topic: "chat:a",
      since: { offset: first.offset, epoch: first.epoch },
    });
    assert.equal(again.recovered, false);
    await nextIsLive(socket, h, "chat:a");
    await socket.close();
  },
);
