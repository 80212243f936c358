// The "Must show" across real hub processes (src/server/main.ts)
// sharing one real redis-server, over real sockets on 127.0.0.1. Clients are
// raw protocol peers: they see every frame, so "exactly once" and "in order"
// are checked on what reached the wire. Nothing sleeps to wait: every wait is
// on a frame, an exit or a bounded /healthz poll. The publishers' pacing is
// load shaping (200/s), not a wait.

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import { connectWelcomed, type Frame, type TestSocket } from "../_support/client.ts";
import {
  CLUSTER_SECRET,
  type HubProcess,
  type HubProcessOptions,
  startHubCluster,
} from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";

const HUBS = "hub processes on one Redis:";
const ADMIN_KEY = "multi-hub-admin-key-0123456789";
const HISTORY = [{ pattern: "chat:*", size: 5000, ttlMs: 60_000 }];
/** Every hub's config file: history for chat topics, room for two 200/s publishers per hub. */
const CONFIG = {
  // One test user starts 30 history topics: above the default new-stream quota (20 a minute).
  engine: { redis: { history: HISTORY, maxNewStreamsPerUser: 1000 } },
  limits: { messageRate: 1000, messageBurst: 1000 },
};

const ACL = { "chat:*": ["subscribe", "publish", "presence", "history"] };

async function token(sub: string): Promise<string> {
  return await mintToken({ sub, acl: ACL }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
}

async function connect(hub: HubProcess, sub: string, jwt?: string): Promise<TestSocket> {
  const [socket] = await connectWelcomed(hub.url, { protocols: ["auth", jwt ?? await token(sub)] });
  return socket;
}

let ids = 0;
async function subscribe(
  socket: TestSocket,
  topic: string,
  extra: Record<string, unknown> = {},
): Promise<Frame> {
  const reply = await socket.request({ type: "subscribe", id: `s${++ids}`, topic, ...extra });
  assert.equal(reply.type, "ack", JSON.stringify(reply));
  return reply;
}

async function admin(hub: HubProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${hub.http}/v1/realtime/${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const isMessage = (topic: string) => (f: Frame) => f.type === "message" && f.topic === topic;

function cluster(count: number, redisUrl: string, options: HubProcessOptions = {}) {
  return startHubCluster(count, {
    redisUrl,
    config: CONFIG,
    env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    ...options,
  });
}

Deno.test({
  name: `${HUBS} three hubs on one Redis: a publication on A reaches B and C exactly once`,
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await cluster(3, redis.url);
    const [a, b, c] = hubs.hubs;
    const subscribers = [await connect(a, "sa"), await connect(b, "sb"), await connect(c, "sc")];
    for (const s of subscribers) await subscribe(s, "chat:room");
    const publisher = await connect(a, "pub");
    for (let i = 0; i < 20; i++) {
      const ack = await publisher.request({
        type: "publish",
        id: `p${i}`,
        topic: "chat:room",
        payload: i,
      });
      assert.equal(ack.type, "ack");
    }
    // A sentinel from C: anything duplicated would arrive before it.
    const fromC = await connect(c, "pub2");
    await fromC.request({ type: "publish", id: "end", topic: "chat:room", payload: "end" });
    for (const s of subscribers) {
      const got: unknown[] = [];
      for (;;) {
        const f = await s.next(isMessage("chat:room"), 5000);
        if (f.payload === "end") break;
        got.push([f.payload, f.offset]);
      }
      assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => [i, i + 1]));
      assert.equal(s.pending.filter(isMessage("chat:room")).length, 0);
    }
    for (const s of [...subscribers, publisher, fromC]) await s.close();
  },
});

Deno.test({
  name:
    `${HUBS} operator actions on hub A act on B and C: sendToUser, updateRules, disconnectUser, revoke`,
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await cluster(3, redis.url);
    const [a, b, c] = hubs.hubs;
    const bobB = await connect(b, "bob");
    const bobC = await connect(c, "bob");
    await admin(a, "POST", "send/bob", { event: "note", payload: { n: 1 } });
    for (const s of [bobB, bobC]) {
      const f = await s.next((f) => f.event === "note", 5000);
      assert.deepEqual(f.payload, { n: 1 });
    }
    // updateRules: every hub re-checks its live subscriptions.
    const carol = await connect(c, "carol");
    await subscribe(carol, "chat:secret");
    await admin(a, "PUT", "rules", {
      rules: [{ effect: "deny", actions: ["subscribe"], topics: ["chat:secret"] }],
    });
    const gone = await carol.next((f) => f.type === "unsubscribed", 5000);
    assert.equal(gone.topic, "chat:secret");
    // disconnectUser closes the user's connections on every hub.
    await admin(a, "DELETE", "users/bob/connections");
    await Promise.all([bobB.closed, bobC.closed]);
    // revoke closes everywhere and the old token is refused on every hub.
    const jwt = await token("mallory");
    const malloryB = await connect(b, "mallory", jwt);
    await admin(a, "POST", "revoke", { user: "mallory" });
    await malloryB.closed;
    for (const hub of [a, b, c]) {
      await assert.rejects(connect(hub, "mallory", jwt), Error, `hub ${hub.index}`);
    }
    await carol.close();
  },
});

/** Sends `count` publications on `topic` at `perSecond`, each `{p, n}`; resolves with the acked count. */
async function publishAtRate(
  socket: TestSocket,
  topic: string,
  p: string,
  count: number,
  perSecond: number,
): Promise<number> {
  const start = performance.now();
  let acked = 0;
  const replies: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    const due = start + (n * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    replies.push(
      socket.request({ type: "publish", id: `${p}${n}`, topic, payload: { p, n } }, 10_000).then(
        (f) => void (f.type === "ack" && acked++),
      ),
    );
  }
  await Promise.all(replies);
  return acked;
}

/** Moves the messages of `topic` already received into `into` (no wait). */
async function drain(socket: TestSocket, topic: string, into: Frame[]) {
  while (socket.pending.some(isMessage(topic))) into.push(await socket.next(isMessage(topic)));
}

/**
 * Resubscribes with `since` the end of the unbroken run of offsets in `into`,
 * as a client must on `insufficient_state`; the reply must say the recovery
 * is complete.
 */
async function recover(socket: TestSocket, topic: string, into: Frame[], epoch: string) {
  await drain(socket, topic, into);
  // From the end of the unbroken run, as a client must: a live publication
  // that arrived after a hole (before this was read) must not hide it.
  const have = new Set(into.map((f) => f.offset));
  let last = 0;
  while (have.has(last + 1)) last++;
  await socket.request({ type: "unsubscribe", id: `u${++ids}`, topic });
  const reply = await subscribe(socket, topic, { since: { offset: last, epoch } });
  assert.equal(reply.recovered, true, JSON.stringify(reply));
}

/**
 * Collects `topic`'s messages until `total` distinct offsets were seen,
 * answering every `insufficient_state` with {@linkcode recover} (one fault
 * can be reported more than once: a reconnect, then the gap it left).
 */
async function collectRecovering(
  socket: TestSocket,
  topic: string,
  total: number,
  into: Frame[],
  epoch: string,
) {
  const relevant = (f: Frame) =>
    f.topic === topic && (f.type === "message" || f.type === "insufficient_state");
  while (new Set(into.map((f) => f.offset)).size < total) {
    const f = await socket.next(relevant, 10_000);
    if (f.type === "message") into.push(f);
    else await recover(socket, topic, into, epoch);
  }
}

/** Collects `topic`'s messages until `total` distinct offsets were seen. */
async function collect(socket: TestSocket, topic: string, total: number, into: Frame[]) {
  while (new Set(into.map((f) => f.offset)).size < total) {
    into.push(await socket.next(isMessage(topic), 10_000));
  }
}

Deno.test({
  name:
    `${HUBS} failover: a SIGKILLed hub's clients recover on another hub with every message exactly once, in order`,
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await cluster(2, redis.url);
    const [a, b] = hubs.hubs;
    const topic = "chat:failover";
    const onA = await connect(a, "alice");
    const onB = await connect(b, "bob");
    const first = await subscribe(onA, topic);
    await subscribe(onB, topic);
    const [p1, p2] = [await connect(b, "p1"), await connect(b, "p2")];
    const count = 400; // 2 s at 200/s each: bounded in count and time
    const publishing = Promise.all([
      publishAtRate(p1, topic, "p1", count, 200),
      publishAtRate(p2, topic, "p2", count, 200),
    ]);
    const seenA: Frame[] = [];
    // Let A deliver some, then crash it.
    while (seenA.length < 50) seenA.push(await onA.next(isMessage(topic), 5000));
    await a.kill();
    await onA.closed;
    await drain(onA, topic, seenA);
    const last = seenA.at(-1)!;
    // What came from hub A, apart from what came after the move: a failure says which hub sent a frame twice.
    const fromA = seenA.length;
    // The client rotates to the next URL and resumes from its position.
    const again = await connect(b, "alice");
    const reply = await subscribe(again, topic, {
      since: { offset: last.offset, epoch: first.epoch },
    });
    assert.equal(reply.recovered, true, JSON.stringify(reply));
    assert.deepEqual(await publishing, [count, count]);
    const seenB: Frame[] = [];
    await collect(again, topic, 2 * count, seenA);
    await collect(onB, topic, 2 * count, seenB);
    const key = (f: Frame) => `${f.offset}:${f.payload.p}:${f.payload.n}`;
    const offsets = (frames: Frame[]) => frames.map((f) => f.offset).join(",");
    assert.deepEqual(
      seenA.map(key),
      seenB.map(key),
      `same messages, same order, once each; from hub A: ${offsets(seenA.slice(0, fromA))}; ` +
        `after the move (since ${last.offset}): ${offsets(seenA.slice(fromA, fromA + 40))}...`,
    );
    assert.deepEqual(
      seenB.map((f) => f.offset),
      Array.from({ length: 2 * count }, (_, i) => i + 1),
    );
    for (const s of [again, onB, p1, p2]) await s.close();
  },
});

Deno.test({
  name:
    `${HUBS} Redis restarted mid-stream: publishes fail with retry:true, none falsely acked; clients recover with recovered:false`,
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await cluster(2, redis.url);
    const [a, b] = hubs.hubs;
    const topic = "chat:restart";
    const sub = await connect(b, "sub");
    const before = await subscribe(sub, topic);
    const pub = await connect(a, "pub");
    await pub.request({ type: "publish", id: "x0", topic, payload: 0 });
    await sub.next(isMessage(topic), 5000);
    await redis.kill();
    const started = performance.now();
    const failed = await pub.request({ type: "publish", id: "x1", topic, payload: 1 }, 5000);
    assert.equal(failed.type, "error", "never an ack while Redis is down");
    assert.equal(failed.retry, true);
    assert.ok(performance.now() - started < 3000, "within the bound");
    await redis.restart();
    // The hubs resubscribe by themselves; the client is told to recover.
    await sub.next((f) => f.type === "insufficient_state" && f.topic === topic, 10_000);
    await sub.request({ type: "unsubscribe", id: "u1", topic });
    const reply = await subscribe(sub, topic, { since: { offset: 1, epoch: before.epoch } });
    assert.equal(reply.recovered, false, "the epoch changed");
    // Publishing works again once /healthz says so, and the client carries on.
    for (const hub of [a, b]) {
      while ((await hub.health()).status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    const ack = await pub.request({ type: "publish", id: "x2", topic, payload: 2 }, 5000);
    assert.equal(ack.type, "ack");
    const live = await sub.next(isMessage(topic), 5000);
    assert.equal(live.payload, 2);
    for (const s of [sub, pub]) await s.close();
  },
});

Deno.test({
  name:
    `${HUBS} CLIENT KILL TYPE pubsub: clients are told to recover within 5 s and end with no gap`,
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await cluster(2, redis.url);
    const [a, b] = hubs.hubs;
    const topic = "chat:killed";
    const sub = await connect(b, "sub");
    const first = await subscribe(sub, topic);
    const pub = await connect(a, "pub");
    const publishing = publishAtRate(pub, topic, "p", 200, 200);
    const seen: Frame[] = [];
    while (seen.length < 20) seen.push(await sub.next(isMessage(topic), 5000));
    await redis.cli("CLIENT", "KILL", "TYPE", "pubsub");
    const killedAt = performance.now();
    await sub.next((f) => f.type === "insufficient_state" && f.topic === topic, 5000);
    assert.ok(performance.now() - killedAt < 5000);
    await recover(sub, topic, seen, first.epoch);
    assert.equal(await publishing, 200);
    await collectRecovering(sub, topic, 200, seen, first.epoch);
    const offsets = [...new Set(seen.map((f) => f.offset))].sort((x, y) => x - y);
    assert.deepEqual(offsets, Array.from({ length: 200 }, (_, i) => i + 1), "no gap");
    for (const s of [sub, pub]) await s.close();
  },
});

Deno.test({
  name:
    `${HUBS} presence of a SIGKILLed hub disappears everywhere within 10 s; a reconnect in time causes no false leave`,
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await cluster(3, redis.url);
    const [a, b, c] = hubs.hubs;
    const topic = "chat:presence";
    const watcher = await connect(c, "watcher");
    await subscribe(watcher, topic, { presence: true });
    const doomed = await connect(a, "dora");
    await subscribe(doomed, topic);
    const mover = await connect(a, "mo");
    await subscribe(mover, topic);
    await watcher.next((f) => f.type === "join" && f.user === "dora", 5000);
    await watcher.next((f) => f.type === "join" && f.user === "mo", 5000);
    await a.kill();
    const killedAt = performance.now();
    // mo reconnects to B at once; dora does not come back.
    const moved = await connect(b, "mo");
    await subscribe(moved, topic);
    const leave = await watcher.next((f) => f.type === "leave" && f.user === "dora", 10_000);
    assert.ok(
      performance.now() - killedAt <= 10_000,
      `leave after ${performance.now() - killedAt} ms`,
    );
    assert.equal(leave.topic, topic);
    for (const hub of [b, c]) {
      const s = await connect(hub, "asker");
      const p = await s.request({ type: "presence", id: "q", topic });
      const users = p.clients.map((e: Frame) => e.user).sort();
      assert.deepEqual(users.filter((u: string) => u !== "asker"), ["mo", "watcher"]);
      await s.close();
    }
    // mo is still present: a leave for mo's old connection may come, but mo never vanished.
    const stats = await watcher.request({ type: "presence_stats", id: "st", topic });
    assert.ok(stats.users >= 2);
    for (const s of [watcher, moved]) await s.close();
  },
});

Deno.test({
  name: `${HUBS} a gap is detected and reported to the affected clients within 5 s`,
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await cluster(2, redis.url);
    const [a, b] = hubs.hubs;
    const topic = "chat:gap";
    const affected = await connect(b, "affected");
    const first = await subscribe(affected, topic);
    const bystander = await connect(b, "bystander");
    await subscribe(bystander, "chat:calm");
    const pub = await connect(a, "pub");
    await pub.request({ type: "publish", id: "g1", topic, payload: 1 });
    await affected.next(isMessage(topic), 5000);
    // A publication no hub ever delivered: the topic's offset moves on without it.
    await redis.cli("HINCRBY", `rt:{${topic}}:meta`, "o", "1");
    const publishedAt = performance.now();
    await pub.request({ type: "publish", id: "g3", topic, payload: 3 });
    await affected.next((f) => f.type === "insufficient_state" && f.topic === topic, 5000);
    assert.ok(performance.now() - publishedAt < 5000);
    await affected.request({ type: "unsubscribe", id: "u", topic });
    const reply = await subscribe(affected, topic, { since: { offset: 1, epoch: first.epoch } });
    assert.equal(reply.recovered, false, "offset 2 is in no history: never a partial replay");
    assert.ok(!bystander.pending.some((f) => f.type === "insufficient_state"), "others untouched");
    for (const s of [affected, bystander, pub]) await s.close();
  },
});

Deno.test({
  name:
    `${HUBS} after the subscriber connection drops, every subscription is restored within 5 s and verified`,
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await cluster(2, redis.url);
    const [a, b] = hubs.hubs;
    const topics = Array.from({ length: 30 }, (_, i) => `chat:r${i}`);
    const sub = await connect(b, "sub");
    for (const topic of topics) await subscribe(sub, topic);
    await redis.cli("CLIENT", "KILL", "TYPE", "pubsub");
    const killedAt = performance.now();
    const told = new Set<string>();
    while (told.size < topics.length) {
      told.add((await sub.next((f) => f.type === "insufficient_state", 5000)).topic);
    }
    assert.ok(performance.now() - killedAt < 5000, "every topic told within 5 s");
    // Restored, not just reported: B's channels are subscribed in Redis again
    // and a publication from A on each topic reaches the client on B.
    for (const hub of [a, b]) {
      let status = 0;
      while (
        (status = (await hub.health()).status) !== 200 && performance.now() - killedAt < 5000
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(status, 200, `hub ${hub.index} healthy again within 5 s`);
    }
    const pub = await connect(a, "pub");
    for (const topic of topics) {
      await pub.request({ type: "publish", id: topic, topic, payload: topic });
    }
    const got = new Set<string>();
    while (got.size < topics.length) {
      got.add((await sub.next((f) => f.type === "message", 5000)).payload);
    }
    assert.deepEqual([...got].sort(), [...topics].sort());
    for (const s of [sub, pub]) await s.close();
  },
});
