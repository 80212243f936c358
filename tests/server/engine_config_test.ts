// The engine is chosen as plain data (config file `engine`, or
// REALTIME_REDIS_URL); bad values stop the server with an error that never
// shows a credential.

import assert from "node:assert/strict";
import { loadServerConfig } from "../../src/server/config.ts";
import {
  checkEngineConfig,
  parseRedisUrls,
  redactRedisUrl,
} from "../../src/server/engine_config.ts";

async function withConfigFile<T>(content: unknown, fn: (path: string) => Promise<T>): Promise<T> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify(content));
    return await fn(file);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("loadServerConfig keeps the in-memory engine by default", async () => {
  assert.equal((await loadServerConfig({})).engine, undefined);
});

Deno.test("loadServerConfig reads REALTIME_REDIS_URL as a list of shards", async () => {
  const config = await loadServerConfig({
    REALTIME_REDIS_URL: "redis://10.0.0.1:6379, redis://:pw@10.0.0.2:6380,",
  });
  assert.deepEqual(config.engine, {
    redis: { urls: ["redis://10.0.0.1:6379", "redis://:pw@10.0.0.2:6380"] },
  });
});

Deno.test("loadServerConfig lets REALTIME_REDIS_URL replace the file's URLs and keep the rest", async () => {
  const engine = {
    redis: {
      urls: ["redis://file:6379"],
      prefix: "app",
      history: [{ pattern: "chat:*", size: 5 }],
    },
  };
  await withConfigFile({ engine }, async (path) => {
    const fromFile = await loadServerConfig({}, path);
    assert.deepEqual(fromFile.engine, engine);
    const config = await loadServerConfig({ REALTIME_REDIS_URL: "redis://env:6379" }, path);
    assert.deepEqual(config.engine, { redis: { ...engine.redis, urls: ["redis://env:6379"] } });
  });
});

Deno.test("loadServerConfig reads the Sentinel and Cluster forms of REALTIME_REDIS_URL", async () => {
  const sentinel = "redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/mymaster";
  const cluster = "redis+cluster://10.0.0.1:7000, 10.0.0.2:7000";
  assert.deepEqual((await loadServerConfig({ REALTIME_REDIS_URL: sentinel })).engine, {
    redis: { urls: [sentinel] },
  });
  assert.deepEqual(
    (await loadServerConfig({ REALTIME_REDIS_URL: `${sentinel}, redis://10.0.0.3:6379` })).engine,
    { redis: { urls: [sentinel, "redis://10.0.0.3:6379"] } },
    "a Sentinel shard and a plain shard",
  );
  assert.deepEqual((await loadServerConfig({ REALTIME_REDIS_URL: cluster })).engine, {
    redis: { urls: ["redis+cluster://10.0.0.1:7000,10.0.0.2:7000"] },
  });
});

Deno.test("loadServerConfig takes sentinel and cluster from the config file, replaced by REALTIME_REDIS_URL", async () => {
  const sentinel = { addresses: ["10.0.0.1:26379"], masterName: "mymaster", password: "pw" };
  const engine = { redis: { sentinel, minReplicaAcks: 1, prefix: "app" } };
  await withConfigFile({ engine }, async (path) => {
    assert.deepEqual((await loadServerConfig({}, path)).engine, engine);
    const config = await loadServerConfig({ REALTIME_REDIS_URL: "redis://env:6379" }, path);
    assert.deepEqual(config.engine, {
      redis: { minReplicaAcks: 1, prefix: "app", urls: ["redis://env:6379"] },
    });
  });
  const cluster = { redis: { cluster: { nodes: ["10.0.0.1:7000", "10.0.0.2:7000"] } } };
  await withConfigFile({ engine: cluster }, async (path) => {
    assert.deepEqual((await loadServerConfig({}, path)).engine, cluster);
  });
});

Deno.test("loadServerConfig refuses a REALTIME_REDIS_URL that is not a Redis URL, without its password", async () => {
  for (
    const value of [
      "http://user:hunter2@10.0.0.1",
      "hunter2",
      " , ",
      "redis://:hunter2@",
      "redis+sentinel://:hunter2@s1,s2",
      "redis+cluster://:hunter2@a:7000,redis://b:6379",
    ]
  ) {
    await assert.rejects(
      loadServerConfig({ REALTIME_REDIS_URL: value }),
      (e: Error) =>
        e instanceof TypeError && e.message.includes("REALTIME_REDIS_URL") &&
        !e.message.includes("hunter2"),
      value,
    );
  }
});

Deno.test("loadServerConfig refuses a config file engine of the wrong shape", async () => {
  const bad: unknown[] = [
    "redis",
    { redis: "redis://x:6379" },
    { redis: { urls: [] } },
    { redis: { url: "redis://x:6379" } },
    { redis: { urls: ["redis://x:6379"] }, nats: {} },
    { redis: { urls: ["mysql://root:hunter2@db"] } },
    { redis: {} },
    { redis: { urls: ["redis://x:6379"], sentinel: { addresses: ["s:1"], masterName: "m" } } },
    { redis: { sentinel: { addresses: ["s:1"], password: "hunter2" } } },
    { redis: { sentinel: { addresses: "s:1", masterName: "m" } } },
    { redis: { cluster: { nodes: [] } } },
    { redis: { urls: ["redis+cluster://:hunter2@a:1", "redis://b:1"] } },
  ];
  for (const engine of bad) {
    await withConfigFile({ engine }, async (path) => {
      await assert.rejects(
        loadServerConfig({}, path),
        (e: Error) =>
          e instanceof TypeError && e.message.startsWith("Cannot use") &&
          !e.message.includes("hunter2"),
        JSON.stringify(engine),
      );
    });
  }
  assert.equal(checkEngineConfig("memory"), "memory");
});

Deno.test("redactRedisUrl hides user and password and keeps the address", () => {
  assert.equal(redactRedisUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  assert.equal(redactRedisUrl("redis://app:s3cret@10.0.0.1:6379/2"), "redis://***@10.0.0.1:6379/2");
  assert.equal(redactRedisUrl("not a url s3cret"), "(an unparsable URL)");
  assert.deepEqual(parseRedisUrls("rediss://h:6380"), ["rediss://h:6380"]);
});
