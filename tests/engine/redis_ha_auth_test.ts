// The Redis engine on Sentinel sets and Clusters configured as in
// production: the documented URL and option forms carry the data nodes' and
// the Sentinels' passwords to the right place, a wrong or unreachable one
// stops the start within connectTimeoutMs, no message ever shows a password,
// and Sentinels that announce hostnames are understood.

import assert from "node:assert/strict";
import { EngineError } from "../../src/engine/errors.ts";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import { startRedisCluster } from "../_support/redis_cluster.ts";
import { startRedisSentinelSet } from "../_support/redis_sentinel.ts";
import { eventually, pub } from "./_redis_listen.ts";

const history = [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }];
const DATA = "data-secret-1";
const SENTINEL = "sentinel-secret-2";

async function refused(options: Parameters<typeof createRedisEngine>[0], what: string) {
  const started = performance.now();
  await assert.rejects(
    createRedisEngine({ ...options, connectTimeoutMs: 1000, log: () => {} }),
    (e) =>
      e instanceof EngineError && e.code === "ENGINE_UNAVAILABLE" &&
      !e.message.includes("secret"),
    what,
  );
  // connectTimeoutMs, then closing what was opened.
  assert.ok(performance.now() - started < 3500, `${what}: refused within connectTimeoutMs`);
}

Deno.test("createRedisEngine authenticates to the Sentinels and the master they name", async () => {
  await using set = await startRedisSentinelSet({ password: DATA, sentinelPassword: SENTINEL });
  const hosts = set.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",");
  const url = `redis+sentinel://:${DATA}@${hosts}/mymaster?sentinel_password=${SENTINEL}`;
  const logs: string[] = [];
  await using engine = await createRedisEngine({
    url,
    history,
    log: (e) => void logs.push(e.message),
  });
  assert.equal((await engine.publish("chat:a", pub("hi")))?.offset, 1);
  assert.equal(
    (await engine.history("chat:a", { limit: 1 })).publications[0].publication.data,
    "hi",
  );
  assert.deepEqual(engine.health().shards.map((s) => s.url), [
    `redis+sentinel://***@${hosts}/mymaster`,
  ]);
  assert.ok(!logs.some((m) => m.includes("secret")), logs.join("\n"));
  await refused({ url: url.replace(DATA, "wrong-secret") }, "a wrong data password");
  await refused({ url: url.replace(SENTINEL, "wrong-secret") }, "a wrong Sentinel password");
  await refused(
    { url: `redis+sentinel://:${DATA}@127.0.0.1:1/mymaster` },
    "no Sentinel answering",
  );
});

Deno.test("createRedisEngine authenticates to every node of a Cluster given as options", async () => {
  await using cluster = await startRedisCluster({ password: DATA });
  const nodes = cluster.nodes.slice(0, 2).map((n) => `127.0.0.1:${n.port}`);
  await using engine = await createRedisEngine({
    cluster: { nodes, password: DATA },
    history,
    log: () => {},
  });
  for (let i = 0; i < 6; i++) {
    assert.equal((await engine.publish(`chat:${i}`, pub("x")))?.offset, 1);
  }
  assert.equal(engine.health().ok, true);
  await refused({ cluster: { nodes, password: "wrong-secret" } }, "a wrong password");
});

Deno.test("createRedisEngine keeps publishing on a lone master its Sentinels name by hostname", async () => {
  await using set = await startRedisSentinelSet({ hostnames: true });
  assert.match(
    await set.sentinels[0].cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"),
    /^localhost\n/,
  );
  await using engine = await createRedisEngine({
    url: set.url,
    history,
    commandTimeoutMs: 1000,
    log: () => {},
  });
  assert.equal((await engine.publish("chat:a", pub("with a replica")))?.offset, 1);
  const [master, replica] = set.servers;
  await replica.kill();
  await eventually(
    async () => !(await master.cli("INFO", "replication")).includes("state=online"),
    "the master alone",
  );
  // The master is alone but still the one the Sentinels name (as localhost,
  // the same server as the 127.0.0.1 the engine is connected to): go on.
  let position;
  await eventually(async () => {
    position = await engine.publish("chat:a", pub("alone")).catch(() => undefined);
    return position !== undefined;
  }, "a publication acknowledged on the lone master");
  assert.equal((await engine.publish("chat:a", pub("alone again")))?.offset, 3);
});
