// The Redis engine when Redis fails: down, hung, restarted without
// persistence, its subscriber connection killed, its keys tampered with.
// Every test starts its own redis-server and stops it in `await using`.

import assert from "node:assert/strict";
import { EngineError } from "../../src/engine/errors.ts";
import {
  createRedisEngine,
  type RedisEngineLogEntry,
} from "../../src/engine/redis/redis_engine.ts";
import { shardRing } from "../../src/engine/redis/_shard_ring.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { eventually, Listen, pub } from "./_redis_listen.ts";

const history = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];
const unavailable = (e: unknown) =>
  e instanceof EngineError && e.code === "ENGINE_UNAVAILABLE" && e.retry === true;

async function timed<T>(promise: Promise<T>): Promise<{ ms: number; error?: unknown }> {
  const started = performance.now();
  try {
    await promise;
    return { ms: performance.now() - started };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

Deno.test("createRedisEngine fails publishes within the bound while Redis is down, then starts a new epoch after a restart", async () => {
  await using server = await startRedisServer();
  const logs: RedisEngineLogEntry[] = [];
  await using engine = await createRedisEngine({
    url: server.url,
    history,
    log: (e) => void logs.push(e),
  });
  const live = new Listen();
  await engine.subscribe("chat:a", live);
  await engine.publish("chat:a", pub("before-1"));
  const seen = (await engine.publish("chat:a", pub("before-2")))!;
  await live.until(() => live.deliveries.length === 2, "two deliveries");

  assert.deepEqual(engine.health(), {
    ok: true,
    shards: [{ url: server.url, commands: true, subscriber: true }],
  });
  await server.stop();
  const outage = performance.now();
  for (let i = 0; i < 10; i++) {
    const { ms, error } = await timed(engine.publish("chat:a", pub(`outage-${i}`)));
    assert.ok(unavailable(error), `outage publish ${i} rejected: ${error}`);
    assert.ok(ms < 2500, `rejected within the bound, took ${ms.toFixed(0)} ms`);
  }
  // Known down: refused at once, not parked in a queue until the timeout.
  const totalMs = performance.now() - outage;
  assert.ok(totalMs < 2500, `ten refusals took ${totalMs.toFixed(0)} ms`);
  assert.equal(engine.health().ok, false, "unhealthy while Redis is down");
  assert.equal(engine.health().shards[0].commands, false);

  await server.restart();
  await live.until(() => live.lost.some((l) => l.reason === "reconnect"), "resubscribed", 10_000);
  assert.equal(engine.health().ok, true, "healthy again once resubscribed");
  const after = (await engine.publish("chat:a", pub("after-1")))!;
  assert.equal(after.offset, 1, "no persistence: the stream starts over");
  assert.notEqual(after.epoch, seen.epoch, "a new epoch");
  const recovery = await engine.recover("chat:a", seen, 100);
  assert.equal(!recovery.recovered && recovery.reason, "epoch");
  const { publications } = await engine.history("chat:a", { limit: 100 });
  assert.deepEqual(
    publications.map((p) => p.publication.data),
    ["after-1"],
    "no outage publish stored",
  );
  await live.until(() => live.deliveries.length === 3, "delivery resumes");
  assert.deepEqual(live.datas, ["before-1", "before-2", "after-1"], "no outage publish delivered");
  assert.ok(logs.some((l) => l.event === "subscriber_lost"));
});

Deno.test("createRedisEngine fails a publish within the bound when Redis hangs", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({ url: server.url, history, heartbeatMs: 60_000 });
  await engine.publish("chat:a", pub("1"));
  server.pause();
  try {
    const { ms, error } = await timed(engine.publish("chat:a", pub("2")));
    assert.ok(unavailable(error), `rejected: ${error}`);
    assert.match((error as Error).message, /did not confirm 'publish' on 'chat:a'/);
    assert.ok(ms >= 1500 && ms < 3000, `about 2 s, took ${ms.toFixed(0)} ms`);
  } finally {
    server.resume();
  }
});

Deno.test("createRedisEngine refuses to start when Redis is unreachable, naming the URL without credentials", async () => {
  const server = await startRedisServer();
  const port = server.port;
  await server[Symbol.asyncDispose]();
  const { ms, error } = await timed(
    createRedisEngine({ url: `redis://admin:hunter2-secret@127.0.0.1:${port}` }),
  );
  assert.ok(unavailable(error), `rejected: ${error}`);
  const message = (error as Error).message;
  assert.match(message, new RegExp(`Cannot reach Redis at redis://\\*\\*\\*@127.0.0.1:${port}`));
  assert.doesNotMatch(message, /hunter2|admin/);
  assert.ok(ms < 3000, `within the connect bound, took ${ms.toFixed(0)} ms`);
});

Deno.test("createRedisEngine resubscribes by itself within 5 s after CLIENT KILL TYPE pubsub and delivery resumes", async () => {
  await using server = await startRedisServer();
  const logs: RedisEngineLogEntry[] = [];
  const log = (e: RedisEngineLogEntry) => void logs.push(e);
  await using engine = await createRedisEngine({ url: server.url, history, log });
  await using other = await createRedisEngine({ url: server.url, history, log });
  const exact = new Listen();
  const pattern = new Listen();
  await engine.subscribe("chat:a", exact);
  await engine.subscribe("chat:*", pattern);
  await other.publish("chat:a", pub("1"));
  await exact.until(() => exact.deliveries.length === 1, "first delivery");

  const killed = performance.now();
  assert.match(await server.cli("CLIENT", "KILL", "TYPE", "pubsub"), /^[1-9]/);
  await exact.until(() => exact.lost.length > 0, "exact subscription told to recover", 5000);
  await pattern.until(() => pattern.lost.length > 0, "pattern subscription told to recover", 5000);
  assert.deepEqual(exact.lost.map((l) => [l.topic, l.reason]), [["chat:a", "reconnect"]]);
  assert.deepEqual(pattern.lost.map((l) => [l.topic, l.reason]), [["chat:*", "reconnect"]]);
  const restoredMs = exact.lost[0].at - killed;
  assert.ok(restoredMs < 5000, `restored in ${restoredMs.toFixed(0)} ms`);
  // Redis itself confirms the channel and the pattern are subscribed again.
  const numsub = (await server.cli("PUBSUB", "NUMSUB", "rt:t:chat:a")).split("\n");
  assert.equal(numsub[1], "1");
  assert.equal(await server.cli("PUBSUB", "NUMPAT"), "1");

  const position = (await other.publish("chat:a", pub("2")))!;
  await exact.until(() => exact.deliveries.length === 2, "delivery after the reconnect");
  await pattern.until(
    () => pattern.deliveries.length === 2,
    "pattern delivery after the reconnect",
  );
  assert.equal(exact.deliveries[1].offset, position.offset);
  assert.ok(logs.some((l) => l.event === "resubscribed"));
});

Deno.test("createRedisEngine reports an offset jump and an epoch change to the affected subscriptions", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({ url: server.url, history });
  const exact = new Listen();
  const pattern = new Listen();
  const unrelated = new Listen();
  await engine.subscribe("chat:a", exact);
  await engine.subscribe("chat:*", pattern);
  await engine.subscribe("chat:b", unrelated);
  const first = (await engine.publish("chat:a", pub("1")))!;
  // A publication this process never received: the offset moves on without it.
  await server.cli("HINCRBY", "rt:{chat:a}:meta", "o", "1");
  await engine.publish("chat:a", pub("3"));
  await exact.until(() => exact.lost.length === 1, "gap reported");
  await pattern.until(() => pattern.lost.length === 1, "gap reported to the pattern");
  assert.deepEqual(exact.lost.map((l) => [l.topic, l.reason]), [["chat:a", "gap"]]);
  assert.deepEqual(pattern.lost.map((l) => [l.topic, l.reason]), [["chat:a", "gap"]]);

  await server.cli("DEL", "rt:{chat:a}:meta");
  const next = (await engine.publish("chat:a", pub("new")))!;
  assert.notEqual(next.epoch, first.epoch);
  await exact.until(() => exact.lost.length === 2, "epoch change reported");
  assert.equal(exact.lost[1].reason, "epoch");
  await exact.until(() => exact.deliveries.length === 3, "every publication still delivered");
  await engine.publish("chat:b", pub("x"));
  await unrelated.until(() => unrelated.deliveries.length === 1, "other topic delivered");
  assert.equal(unrelated.lost.length, 0, "other topics are not told to recover");
});

Deno.test("createRedisEngine treats a missing stream with live metadata as lost history", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({ url: server.url, history });
  const seen = (await engine.publish("chat:a", pub("1")))!;
  await engine.publish("chat:a", pub("2"));
  await engine.publish("chat:a", pub("3"));
  await server.cli("DEL", "rt:{chat:a}:stream"); // as an eviction would
  const recovery = await engine.recover("chat:a", seen, 100);
  assert.equal(!recovery.recovered && recovery.reason, "gap");
  assert.deepEqual(recovery.position, { offset: 3, epoch: seen.epoch });
  const { publications, position } = await engine.history("chat:a", { limit: 10 });
  assert.deepEqual([publications.length, position.offset], [0, 3]);
  const next = (await engine.publish("chat:a", pub("4")))!;
  assert.deepEqual(next, { offset: 4, epoch: seen.epoch }, "offsets go on in the same epoch");
});

Deno.test("createRedisEngine bounds every key it writes by size and TTL", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({
    url: server.url,
    history: [{ pattern: "chat:*", size: 3, ttlMs: 5000 }],
  });
  for (let i = 0; i < 10; i++) await engine.publish("chat:a", pub(`${i}`));
  await engine.presenceAdd("chat:a", { connection: "c1", user: "u" });
  assert.equal(await server.cli("XLEN", "rt:{chat:a}:stream"), "3");
  for (const key of ["meta", "stream", "presence", "presence:exp"]) {
    const ttl = Number(await server.cli("PTTL", `rt:{chat:a}:${key}`));
    assert.ok(ttl > 0 && ttl <= 6000, `${key} expires, PTTL ${ttl}`);
  }
  await engine.publish("plain:a", pub("x"));
  assert.equal(await server.cli("EXISTS", "rt:{plain:a}:meta"), "0", "no history, no keys");
});

Deno.test("createRedisEngine warns at start when maxmemory-policy can evict its keys", async () => {
  for (
    const [policy, warned] of [["allkeys-lru", true], ["volatile-ttl", true], [
      "noeviction",
      false,
    ]] as const
  ) {
    await using server = await startRedisServer({ args: ["--maxmemory-policy", policy] });
    const logs: RedisEngineLogEntry[] = [];
    await using _engine = await createRedisEngine({
      url: server.url,
      log: (e) => void logs.push(e),
    });
    const warning = logs.find((l) => l.event === "unsafe_maxmemory_policy");
    assert.equal(warning !== undefined, warned, policy);
    if (warned) assert.match(warning!.message, new RegExp(`maxmemory-policy ${policy}`));
  }
});

Deno.test("createRedisEngine tells only the subscriptions on the dropped shard to recover", async () => {
  await using one = await startRedisServer();
  await using two = await startRedisServer();
  const urls = [one.url, two.url];
  const shardOf = shardRing(urls);
  const on = (shard: number) => {
    for (let i = 0;; i++) if (shardOf(`chat:${i}`) === shard) return `chat:${i}`;
  };
  const [first, second] = [on(0), on(1)];
  await using engine = await createRedisEngine({ urls, history, log: () => {} });
  const [a, b, pattern] = [new Listen(), new Listen(), new Listen()];
  await engine.subscribe(first, a);
  await engine.subscribe(second, b);
  await engine.subscribe("chat:*", pattern);
  await two.cli("CLIENT", "KILL", "TYPE", "pubsub");
  await b.until(() => b.lost.length === 1, "second shard's topic told to recover");
  await pattern.until(() => pattern.lost.length === 1, "pattern told to recover");
  await engine.publish(first, pub("1"));
  await engine.publish(second, pub("2"));
  await a.until(() => a.deliveries.length === 1, "delivery on the first shard");
  await b.until(() => b.deliveries.length === 1, "delivery on the second shard");
  await pattern.until(() => pattern.deliveries.length === 2, "pattern deliveries from both");
  assert.equal(a.lost.length, 0, "the first shard's subscriber never dropped");
});

Deno.test("createRedisEngine puts its presence back after Redis lost it", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({
    url: server.url,
    presenceRefreshMs: 200,
    presenceTtlMs: 1000,
    log: () => {},
  });
  const watch = new Listen();
  await engine.subscribe("room:1", watch);
  await engine.presenceAdd("room:1", { connection: "c1", user: "alice" });
  await watch.until(() => watch.presenceEvents.length === 1, "join");
  // No persistence: every key is gone. A marker nobody writes again shows it; the
  // presence key itself may already be back, as the engine refreshes every 200 ms.
  await server.cli("SET", "marker", "1");
  await server.restart();
  assert.equal(await server.cli("EXISTS", "marker"), "0");
  await watch.until(() => watch.lost.length === 1, "resubscribed after the restart", 10_000);
  // The join may go out before the subscriber is back, so look at Redis itself.
  await eventually(
    async () => (await engine.presence("room:1")).length === 1,
    "the entry back in Redis",
  );
  assert.deepEqual(await engine.presence("room:1"), [{ connection: "c1", user: "alice" }]);
});

Deno.test("createRedisEngine lets Redis expire an idle topic's history and starts a new epoch after it", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({
    url: server.url,
    history: [{ pattern: "short:*", size: 10, ttlMs: 300 }],
  });
  const first = (await engine.publish("short:t", pub("1")))!;
  await engine.publish("short:t", pub("2"));
  // Redis keeps its own time: wait for its expiry, bounded.
  await eventually(
    async () => (await server.cli("EXISTS", "rt:{short:t}:meta", "rt:{short:t}:stream")) === "0",
    "both keys expired",
    3000,
  );
  const next = (await engine.publish("short:t", pub("3")))!;
  assert.equal(next.offset, 1);
  assert.notEqual(next.epoch, first.epoch, "history was lost: a new epoch");
  const stale = await engine.recover("short:t", { offset: 2, epoch: first.epoch }, 10);
  assert.equal(!stale.recovered && stale.reason, "epoch");
});
