// A start that fails part-way closes what it had opened, in reverse order:
// checked against a real redis-server by counting its clients (CLIENT LIST)
// before the start and after the refusal, and with the resource sanitizer.

import assert from "node:assert/strict";
import { startServer } from "../../src/server/start.ts";
import type { ServerConfig } from "../../src/server/config.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import type { RedisServer } from "../_support/redis_server.ts";

const SECRET = "start-cleanup-secret-of-at-least-32-bytes";

/** Clients of the server other than redis-cli's own connection asking. */
async function clients(redis: RedisServer): Promise<number> {
  const list = await redis.cli("CLIENT", "LIST");
  return list.split("\n").filter((line) => line !== "" && !line.includes("cmd=client")).length;
}

/** Asks until the server has `want` clients; fails after `timeoutMs` with the last count. */
async function untilClients(redis: RedisServer, want: number, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let seen = await clients(redis);
  while (seen !== want) {
    if (performance.now() > deadline) {
      assert.fail(`Redis has ${seen} clients ${timeoutMs} ms after the failed start, not ${want}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
    seen = await clients(redis);
  }
}

function redisConfig(redis: RedisServer, extra: ServerConfig = {}): ServerConfig {
  return {
    port: 0,
    hostname: "127.0.0.1",
    auth: { secret: SECRET },
    engine: { redis: { urls: [redis.url], prefix: "cleanup" } },
    ...extra,
  };
}

Deno.test("startServer closes the Redis engine when building the admin handler throws", async () => {
  await using redis = await startRedisServer();
  const dir = await Deno.makeTempDir({ prefix: "realtime-start-cleanup-" });
  try {
    // A 16-byte publication secret is read at start and refused by the admin handler.
    await Deno.writeTextFile(`${dir}/short.key`, "short-secret-xyz");
    const before = await clients(redis);
    await assert.rejects(
      startServer(redisConfig(redis, { adminSigningKeys: { ops: `${dir}/short.key` } }), {
        log: () => {},
      }),
      /signing key 'ops' is unusable/,
    );
    await untilClients(redis, before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer closes the engine, hub and accounts when the port is taken", async () => {
  await using redis = await startRedisServer();
  const dir = await Deno.makeTempDir({ prefix: "realtime-start-cleanup-" });
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const before = await clients(redis);
    await assert.rejects(
      startServer(
        redisConfig(redis, {
          port: (taken.addr as Deno.NetAddr).port,
          transport: "deno",
          accounts: `sqlite:${dir}/accounts.db`,
        }),
        { log: () => {} },
      ),
      Deno.errors.AddrInUse,
    );
    await untilClients(redis, before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer's close may be called twice and leaves Redis no client of the hub's", async () => {
  await using redis = await startRedisServer();
  const before = await clients(redis);
  const started = await startServer(redisConfig(redis), { accounts: false, log: () => {} });
  assert.ok(await clients(redis) > before);
  await Promise.all([started.close(), started.close()]);
  await started.close();
  await untilClients(redis, before);
});
