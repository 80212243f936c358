// The engine contract against Redis that can fail over: a Sentinel set (a
// master, a replica, three Sentinels) and a Redis Cluster (three masters,
// each with a replica), all real redis-server processes. Each engine gets its
// own key prefix, so tests share the sets without seeing each other. With
// replicas, every publication that keeps history is acknowledged only once a
// replica holds it (minReplicaAcks defaults to 1).

import assert from "node:assert/strict";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import { startRedisCluster } from "../_support/redis_cluster.ts";
import { startRedisSentinelSet } from "../_support/redis_sentinel.ts";
import { engineConformance } from "./_conformance.ts";

const [sentinels, cluster] = await Promise.all([startRedisSentinelSet(), startRedisCluster()]);
let count = 0;
const prefix = () => `ha${++count}.${crypto.randomUUID().slice(0, 8)}`;
const quiet = { log: () => {} };

engineConformance("createRedisEngine (Sentinel)", {
  create: ({ history }) =>
    createRedisEngine({ url: sentinels.url, prefix: prefix(), history, ...quiet }),
  timeoutMs: 5000,
});

engineConformance("createRedisEngine (Cluster)", {
  create: ({ history }) =>
    createRedisEngine({ url: cluster.url, prefix: prefix(), history, ...quiet }),
  timeoutMs: 5000,
});

Deno.test("createRedisEngine on a Cluster spreads topics over its masters", async () => {
  const p = prefix();
  const history = [{ pattern: "h:*", size: 10, ttlMs: 60_000 }];
  await using engine = await createRedisEngine({ url: cluster.url, prefix: p, history, ...quiet });
  for (let i = 0; i < 30; i++) await engine.publish(`h:${i}`, { data: "1", from: null, ts: 0 });
  const holding = [];
  for (const node of cluster.nodes) {
    if (!/role:master/.test(await node.cli("INFO", "replication"))) continue;
    holding.push(
      Number(await node.cli("EVAL", `return #redis.call('KEYS', '${p}:*:stream')`, "0")),
    );
  }
  assert.equal(holding.length, 3);
  assert.equal(holding.reduce((a, b) => a + b), 30);
  assert.ok(holding.every((n) => n >= 3), `every master holds topics: ${holding}`);
});

for (
  const [name, url, keyCount] of [
    [
      "Sentinel",
      sentinels.url,
      async (pattern: string) =>
        (await sentinels.master()).cli("EVAL", `return #redis.call('KEYS', '${pattern}')`, "0"),
    ],
    ["Cluster", cluster.url, async (pattern: string) => {
      let n = 0;
      for (const node of cluster.nodes) {
        if (!/role:master/.test(await node.cli("INFO", "replication"))) {
          continue;
        }
        n += Number(await node.cli("EVAL", `return #redis.call('KEYS', '${pattern}')`, "0"));
      }
      return String(n);
    }],
  ] as const
) {
  Deno.test(`createRedisEngine (${name}) charges new history streams to the user's quota and stores nothing it refuses`, async () => {
    const p = prefix();
    const history = [{ pattern: "h:*", size: 10, ttlMs: 60_000 }];
    await using engine = await createRedisEngine({
      url,
      prefix: p,
      history,
      maxNewStreamsPerUser: 1,
      newStreamsWindowMs: 60_000,
      ...quiet,
    });
    const from = (user: string, data: string) => ({ data, from: user, ts: 0 });
    const first = await engine.publish("h:a", from("mallory", "1"));
    assert.equal(first?.offset, 1);
    const refused = await engine.publish("h:b", from("mallory", "1")).catch((e) => e);
    assert.equal(refused?.code, "QUOTA_EXCEEDED", String(refused));
    // Nothing of h:b: neither its stream nor metadata without a lifetime.
    assert.equal(await keyCount(`${p}:{h:b}:*`), "0");
    assert.equal((await engine.publish("h:a", from("mallory", "2")))?.offset, 2);
    assert.deepEqual(
      (await engine.history("h:a", { limit: 10 })).publications.map((e) => e.publication.data),
      ["1", "2"],
    );
  });
}

Deno.test("redis-server processes of the HA conformance run stop", async () => {
  await Promise.all([sentinels.stop(), cluster.stop()]);
});
