// The memory flood of issue 26, reproduced: one user with publish rights
// sends 60 KB publications to 900 distinct history topics through a real hub
// process (src/server/main.ts) on a real redis-server with `maxmemory 48mb`
// and `noeviction`. Before the engine's bounds, Redis filled up in seconds
// and every publication to a history topic then failed for everyone. With
// the default bounds the flooding user is refused (`QUOTA_EXCEEDED`) past 20
// new history topics, their streams keep at most 256 KiB each, and other users
// keep publishing. Every wait is on a frame.

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import { connectWelcomed, type Frame, type TestSocket } from "../_support/client.ts";
import { CLUSTER_SECRET, startHubProcess } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";

const MAXMEMORY = 48 * 1024 * 1024;
const CONFIG = {
  engine: {
    redis: {
      history: [
        { pattern: "flood:**", size: 100, ttlMs: 300_000 },
        { pattern: "chat:*", size: 100, ttlMs: 300_000 },
      ],
    },
  },
  // Room for the flood's rate: the per-connection rate limit is not what is under test.
  limits: { messageRate: 1000, messageBurst: 1000 },
};
const ACL = {
  "flood:**": ["publish"],
  "chat:*": ["subscribe", "publish", "history"],
};
const PAYLOAD = "x".repeat(60_000);
const WINDOW = 8;

async function connect(url: string, sub: string): Promise<TestSocket> {
  const token = await mintToken({ sub, acl: ACL }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
  const [socket] = await connectWelcomed(url, { protocols: ["auth", token] });
  return socket;
}

/**
 * Publishes to each topic in turn, at most `WINDOW` unanswered at a time (the
 * issue's flood ran at about 60 publications per second), and counts the
 * replies by type and code.
 */
async function publishAll(
  socket: TestSocket,
  topics: string[],
  tag: string,
): Promise<Map<string, number>> {
  const outcomes = new Map<string, number>();
  for (let from = 0; from < topics.length; from += WINDOW) {
    const batch = topics.slice(from, from + WINDOW).map((_, i) => `${tag}-${from + i}`);
    batch.forEach((id, i) =>
      socket.send({ type: "publish", id, topic: topics[from + i], payload: PAYLOAD })
    );
    for (const id of batch) {
      const reply = await socket.next((f: Frame) => f.id === id, 30_000);
      const key = reply.type === "ack" ? "ack" : `${reply.code}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
  }
  return outcomes;
}

function sum(maps: Map<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const map of maps) for (const [k, n] of map) total[k] = (total[k] ?? 0) + n;
  return total;
}

async function usedMemory(redis: { cli(...args: string[]): Promise<string> }): Promise<number> {
  const info = await redis.cli("INFO", "memory");
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

Deno.test({
  name:
    "hub on Redis with maxmemory 48mb: a user flooding 900 history topics with 60 KB publications is refused and other users keep publishing",
  async fn() {
    await using redis = await startRedisServer({
      args: ["--maxmemory", `${MAXMEMORY}`, "--maxmemory-policy", "noeviction"],
    });
    await using hub = await startHubProcess({ redisUrl: redis.url, config: CONFIG });
    const bob = await connect(hub.url, "bob");
    const listener = await connect(hub.url, "carol");
    const subscribed = await listener.request({ type: "subscribe", id: "s", topic: "chat:lobby" });
    assert.equal(subscribed.type, "ack");
    const before = await bob.request({
      type: "publish",
      id: "b0",
      topic: "chat:lobby",
      payload: 0,
    });
    assert.equal(before.type, "ack", JSON.stringify(before));

    // The flood: five connections of one user, 180 distinct history topics each.
    const flooders = await Promise.all([0, 1, 2, 3, 4].map(() => connect(hub.url, "mallory")));
    const flood = sum(
      await Promise.all(
        flooders.map((socket, c) =>
          publishAll(socket, Array.from({ length: 180 }, (_, i) => `flood:${c}:${i}`), `f${c}`)
        ),
      ),
    );

    // Everyone else goes on: a publication to an existing topic, and a new history topic.
    const after = await bob.request({ type: "publish", id: "b1", topic: "chat:lobby", payload: 1 });
    assert.equal(after.type, "ack", `bob's publish after the flood: ${JSON.stringify(after)}`);
    const message = await listener.next((f) => f.type === "message" && f.payload === 1, 10_000);
    assert.equal(message.from, "bob");
    const alice = await connect(hub.url, "alice");
    const fresh = await alice.request({ type: "publish", id: "a0", topic: "chat:new", payload: 2 });
    assert.equal(fresh.type, "ack", `alice's new topic after the flood: ${JSON.stringify(fresh)}`);

    // The flooding user started 20 history topics (the default quota) and was refused the rest.
    assert.deepEqual(flood, { ack: 20, QUOTA_EXCEEDED: 880 }, JSON.stringify(flood));
    const refusal = await flooders[0].request({
      type: "publish",
      id: "m",
      topic: "flood:last",
      payload: 3,
    });
    assert.equal(refusal.code, "QUOTA_EXCEEDED");
    assert.equal(refusal.retry, true);
    assert.match(refusal.message, /started 20 history topics in 60000 ms/);

    // Publishing on into the topics the user did start: each stream keeps at most 256 KiB.
    const started: string[] = [];
    for (let c = 0; c < 5 && started.length < 3; c++) {
      for (let i = 0; i < 180 && started.length < 3; i++) {
        if (await redis.cli("EXISTS", `rt:{flood:${c}:${i}}:stream`) === "1") {
          started.push(`flood:${c}:${i}`);
        }
      }
    }
    const more = await publishAll(
      flooders[1],
      Array.from({ length: 75 }, (_, i) => started[i % 3]),
      "g",
    );
    assert.deepEqual(Object.fromEntries(more), { ack: 75 });
    for (const topic of started) {
      const bytes = Number(await redis.cli("HGET", `rt:{${topic}}:meta`, "b"));
      const entries = Number(await redis.cli("XLEN", `rt:{${topic}}:stream`));
      assert.ok(bytes <= 256 * 1024, `${topic} keeps ${bytes} bytes`);
      assert.equal(entries, 4, `${topic} keeps the 4 newest of 26 publications of 60 KB`);
    }
    const used = await usedMemory(redis);
    assert.ok(used < MAXMEMORY / 2, `Redis holds ${used} bytes, well under its maxmemory`);

    for (const socket of [bob, listener, alice, ...flooders]) await socket.close();
  },
});
