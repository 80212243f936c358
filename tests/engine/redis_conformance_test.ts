// The engine contract against real redis-server processes: one shard, and
// two shards with topics spread by consistent hashing. Each engine gets its
// own key prefix, so tests share the servers without seeing each other.

import assert from "node:assert/strict";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { engineConformance } from "./_conformance.ts";

const one = await startRedisServer();
const two = await startRedisServer();
let count = 0;
const prefix = () => `conf${++count}.${crypto.randomUUID().slice(0, 8)}`;

engineConformance("createRedisEngine (one shard)", {
  create: ({ history }) => createRedisEngine({ url: one.url, prefix: prefix(), history }),
  timeoutMs: 5000,
});

engineConformance("createRedisEngine (two shards)", {
  create: ({ history }) =>
    createRedisEngine({ urls: [one.url, two.url], prefix: prefix(), history }),
  timeoutMs: 5000,
});

Deno.test("createRedisEngine spreads topics over both shards", async () => {
  const p = prefix();
  const history = [{ pattern: "h:*", size: 10, ttlMs: 60_000 }];
  await using engine = await createRedisEngine({ urls: [one.url, two.url], prefix: p, history });
  for (let i = 0; i < 40; i++) await engine.publish(`h:${i}`, { data: "1", from: null, ts: 0 });
  const streams = async (server: typeof one) =>
    (await server.cli("--scan", "--pattern", `${p}:*:stream`)).split("\n").filter(Boolean).length;
  const [a, b] = [await streams(one), await streams(two)];
  assert.equal(a + b, 40);
  assert.ok(a >= 8 && b >= 8, `both shards hold topics: ${a} and ${b}`);
});

Deno.test("redis-server processes of the conformance run stop", async () => {
  await one[Symbol.asyncDispose]();
  await two[Symbol.asyncDispose]();
});
