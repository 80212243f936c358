// The Redis engine when a failover promotes a replica that missed writes:
// offsets go backwards and get reused, so the topic must change epoch and no
// position from before may recover as complete. Each test makes the replica
// miss the last publications for certain (its link is cut and kept down)
// before the failover, with real redis-server processes: a Sentinel set (the
// master SIGKILLed) and a Redis Cluster (CLUSTER FAILOVER TAKEOVER). And
// what prevents the loss of acknowledged publications: WAIT for a replica.

import assert from "node:assert/strict";
import type { StreamPosition } from "../../src/engine/engine.ts";
import { EngineError } from "../../src/engine/errors.ts";
import {
  createRedisEngine,
  type RedisEngine,
  type RedisEngineLogEntry,
} from "../../src/engine/redis/redis_engine.ts";
import { startRedisCluster } from "../_support/redis_cluster.ts";
import { startRedisSentinelSet } from "../_support/redis_sentinel.ts";
import { type RedisServer, startRedisServer } from "../_support/redis_server.ts";
import { eventually, Listen, pub } from "./_redis_listen.ts";

const TOPIC = "chat:failover";
const history = [{ pattern: "chat:*", size: 1000, ttlMs: 60_000 }];
const quiet = { log: () => {} };

/** Publishes until Redis acknowledges (a failover answers errors for a while); the first position. */
async function publishUntilAcked(engine: RedisEngine, data: string): Promise<StreamPosition> {
  let position: StreamPosition | undefined;
  let last = "";
  await eventually(
    async () => {
      position = await engine.publish(TOPIC, pub(data)).catch((e) => void (last = e.message));
      return position !== undefined;
    },
    `an acknowledged publish of ${data}`,
    20_000,
    100,
  ).catch((e) => {
    throw new Error(`${e.message} (last error: ${last})`);
  });
  return position!;
}

/** Waits until `replica` has every write `master` made so far. */
async function caughtUp(master: RedisServer, replica: RedisServer): Promise<void> {
  const offset = (info: string, field: string) =>
    Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1]);
  const target = offset(await master.cli("INFO", "replication"), "master_repl_offset");
  await eventually(
    async () => offset(await replica.cli("INFO", "replication"), "slave_repl_offset") >= target,
    "the replica caught up",
  );
}

/** Cuts the replica's link; a wrong master password keeps it from linking again. */
async function cut(master: RedisServer, replica: RedisServer): Promise<void> {
  await replica.cli("CONFIG", "SET", "masterauth", "not-the-password");
  await master.cli("CLIENT", "KILL", "TYPE", "replica");
  await eventually(
    async () => (await replica.cli("INFO", "replication")).includes("master_link_status:down"),
    "the replica's link down",
  );
}

/**
 * The part every test shares: 10 publications the replica holds, then 5 it
 * misses, all acknowledged (minReplicaAcks 0) and delivered to `listen`.
 */
async function publishAndLoseFive(
  publisher: RedisEngine,
  listen: Listen,
  master: RedisServer,
  replica: RedisServer,
  cutReplica: () => Promise<void>,
): Promise<StreamPosition> {
  for (let i = 1; i <= 10; i++) await publisher.publish(TOPIC, pub(`kept${i}`));
  await caughtUp(master, replica);
  await cutReplica();
  let last: StreamPosition | undefined;
  for (let i = 11; i <= 15; i++) last = await publisher.publish(TOPIC, pub(`lost${i}`));
  await listen.until(() => listen.deliveries.length === 15, "15 deliveries");
  assert.equal(last!.offset, 15);
  return last!;
}

/** After the failover: the epoch changed, offsets were reused, and no old position recovers. */
async function assertNoFalseRecovery(
  publisher: RedisEngine,
  subscriber: RedisEngine,
  listen: Listen,
  before: StreamPosition,
): Promise<void> {
  const first = await publishUntilAcked(publisher, "new1");
  assert.ok(first.offset <= 15, `offsets went backwards to ${first.offset}`);
  // New publications take the offsets the lost ones had: a client that saw
  // lost15 must not be told it missed nothing, nor one at 13 that it missed only new ones.
  for (let i = 2; first.offset + i - 1 <= 15; i++) await publisher.publish(TOPIC, pub(`new${i}`));
  // The subscriber's hub reconnects on its own schedule; its health says when.
  await eventually(
    () => Promise.resolve(subscriber.health().ok),
    "the subscriber's engine healthy",
    10_000,
  );
  for (const offset of [15, 13, 10, 1]) {
    const recovery = await subscriber.recover(TOPIC, { offset, epoch: before.epoch }, 100);
    assert.equal(recovery.recovered, false, `from offset ${offset}: ${JSON.stringify(recovery)}`);
  }
  assert.notEqual(first.epoch, before.epoch, "a new epoch, since offsets are reused");
  const { publications, position } = await subscriber.history(TOPIC, { limit: 100 });
  assert.equal(position.epoch, first.epoch);
  const datas = publications.map((p) => p.publication.data);
  assert.deepEqual(datas.slice(0, 10), Array.from({ length: 10 }, (_, i) => `kept${i + 1}`));
  assert.ok(!datas.some((d) => d.startsWith("lost")), "the lost writes are not history");
  await listen.until(() => listen.lost.length > 0, "the subscription told to recover", 10_000);
}

Deno.test("createRedisEngine on Sentinel changes epoch when the promoted replica missed writes", async () => {
  await using set = await startRedisSentinelSet();
  const [master, replica] = set.servers;
  const url = set.url;
  await using publisher = await createRedisEngine({ url, history, minReplicaAcks: 0, ...quiet });
  await using subscriber = await createRedisEngine({ url, history, ...quiet });
  const listen = new Listen();
  await subscriber.subscribe(TOPIC, listen);
  const before = await publishAndLoseFive(
    publisher,
    listen,
    master,
    replica,
    () => cut(master, replica),
  );
  await master.kill();
  await set.promoted(master);
  await assertNoFalseRecovery(publisher, subscriber, listen, before);
});

Deno.test("createRedisEngine on a Cluster changes epoch when the promoted replica missed writes", async () => {
  await using cluster = await startRedisCluster();
  const key = `rt:{${TOPIC}}:meta`;
  const master = await cluster.masterOf(key);
  const replicas = [];
  for (const node of cluster.nodes) {
    const info = await node.cli("INFO", "replication");
    if (info.includes(`master_port:${master.port}`)) replicas.push(node);
  }
  assert.equal(replicas.length, 1);
  const [replica] = replicas;
  const url = cluster.url;
  await using publisher = await createRedisEngine({ url, history, minReplicaAcks: 0, ...quiet });
  await using subscriber = await createRedisEngine({ url, history, ...quiet });
  const listen = new Listen();
  await subscriber.subscribe(TOPIC, listen);
  const before = await publishAndLoseFive(
    publisher,
    listen,
    master,
    replica,
    () => cut(master, replica),
  );
  assert.equal(await replica.cli("CLUSTER", "FAILOVER", "TAKEOVER"), "OK");
  await cluster.promoted(key, master);
  await assertNoFalseRecovery(publisher, subscriber, listen, before);
});

Deno.test("createRedisEngine acknowledges a publication only once a replica holds it", async () => {
  await using master = await startRedisServer();
  await using replica = await startRedisServer({
    args: ["--replicaof", "127.0.0.1", `${master.port}`],
  });
  await eventually(
    async () => (await master.cli("INFO", "replication")).includes("state=online"),
    "the replica online for its master",
  );
  const options = { url: master.url, history, ...quiet };
  await using acked = await createRedisEngine({ ...options, minReplicaAcks: 1 });
  await using unacked = await createRedisEngine({ ...options, minReplicaAcks: 0 });
  assert.equal((await acked.publish(TOPIC, pub("held")))?.offset, 1);
  // Stopped, the replica stays online for its master but holds nothing new.
  replica.pause();
  try {
    const started = performance.now();
    await assert.rejects(
      acked.publish(TOPIC, pub("unheld")),
      (e) =>
        e instanceof EngineError && e.code === "ENGINE_UNAVAILABLE" && e.retry &&
        /0 of 1 replicas confirmed/.test(e.message),
    );
    assert.ok(performance.now() - started < 2500, "within commandTimeoutMs");
    // Without waiting, the same publication is acknowledged though no replica has it.
    assert.equal((await unacked.publish(TOPIC, pub("risked")))?.offset, 3);
  } finally {
    replica.resume();
  }
  await caughtUp(master, replica);
  assert.equal((await acked.publish(TOPIC, pub("held again")))?.offset, 4);
  // A master with no replica online is not waited on: publishing goes on.
  await replica.kill();
  await eventually(
    async () => (await master.cli("INFO", "replication")).includes("connected_slaves:0"),
    "the master saw its replica go",
  );
  assert.equal((await acked.publish(TOPIC, pub("alone")))?.offset, 5);
  // An engine started on it says so.
  const logs: RedisEngineLogEntry[] = [];
  await using late = await createRedisEngine({
    ...options,
    minReplicaAcks: 1,
    log: (e) => void logs.push(e),
  });
  assert.deepEqual(
    logs.filter((e) => e.event === "replicas_missing").map((e) => e.level),
    ["warn"],
  );
  assert.equal((await late.publish(TOPIC, pub("still")))?.offset, 6);
});

Deno.test("createRedisEngine on a Cluster moves its subscriber off a dead node and resubscribes", async () => {
  await using cluster = await startRedisCluster();
  const prefix = "mv";
  await using subscriber = await createRedisEngine({ url: cluster.url, prefix, history, ...quiet });
  // The node holding the subscriber's connection (the only one so far): CLIENT LIST names it.
  let host: RedisServer | undefined;
  for (const node of cluster.nodes) {
    if (/ name=mv:\w+:sub /.test(await node.cli("CLIENT", "LIST", "TYPE", "pubsub"))) host = node;
  }
  assert.ok(host !== undefined, "the subscriber is on one node");
  await using publisher = await createRedisEngine({ url: cluster.url, prefix, history, ...quiet });
  const listen = new Listen();
  await subscriber.subscribe(TOPIC, listen);
  await subscriber.subscribe("chat:*", listen);
  await publisher.publish(TOPIC, pub("before"));
  await listen.until(() => listen.deliveries.length === 2, "delivered through both subscriptions");
  const killedAt = performance.now();
  await host.kill();
  await listen.until(() => listen.lost.length >= 2, "both subscriptions told to recover", 15_000);
  await eventually(() => Promise.resolve(subscriber.health().ok), "healthy again", 15_000);
  const movedMs = performance.now() - killedAt;
  await publishUntilAcked(publisher, "after");
  await listen.until(
    () => listen.deliveries.filter((d) => d.publication.data === "after").length === 2,
    "delivered again through both",
  );
  assert.deepEqual(listen.lost.map((l) => l.reason), ["reconnect", "reconnect"]);
  assert.ok(movedMs < 10_000, `resubscribed ${movedMs.toFixed(0)} ms after the node died`);
});

/**
 * Publishes one at a time; after 20 acknowledgements runs `failover`, and
 * stops 20 acknowledgements after it returned. Returns what was acknowledged.
 */
async function publishThrough(
  engine: RedisEngine,
  failover: () => Promise<void>,
): Promise<{ acked: string[]; refused: number; before: StreamPosition }> {
  const acked: string[] = [];
  let refused = 0;
  let before: StreamPosition | undefined;
  let after = Infinity;
  for (let i = 0; acked.length < after + 20; i++) {
    try {
      const position = await engine.publish(TOPIC, pub(`p${i}`));
      acked.push(`p${i}`);
      if (acked.length === 20) {
        before = position;
        await failover();
        after = acked.length;
      }
    } catch (error) {
      assert.ok(error instanceof EngineError && error.retry, String(error));
      refused++;
      await new Promise((resolve) => setTimeout(resolve, 20)); // load shaping while Redis switches
    }
  }
  return { acked, refused, before: before! };
}

/**
 * Every acknowledged publication is history on the master a new engine
 * finds (not merely on the one the publisher wrote to); nothing from before
 * recovers as complete.
 */
async function assertKeptAndEpochChanged(
  url: string,
  result: { acked: string[]; before: StreamPosition },
): Promise<void> {
  await using engine = await createRedisEngine({ url, history, ...quiet });
  const { publications, position } = await engine.history(TOPIC, { limit: 1000 });
  const held = new Set(publications.map((p) => p.publication.data));
  assert.deepEqual(result.acked.filter((d) => !held.has(d)), [], "acknowledged but not history");
  assert.notEqual(position.epoch, result.before.epoch);
  const recovery = await engine.recover(TOPIC, result.before, 1000);
  assert.equal(recovery.recovered, false, JSON.stringify(recovery));
}

Deno.test("createRedisEngine through SENTINEL FAILOVER loses no acknowledged publication", async () => {
  await using set = await startRedisSentinelSet();
  const [first] = set.servers;
  await using engine = await createRedisEngine({ url: set.url, history, ...quiet });
  const listen = new Listen();
  await engine.subscribe(TOPIC, listen);
  const result = await publishThrough(engine, async () => {
    assert.equal(await set.sentinels[0].cli("SENTINEL", "FAILOVER", "mymaster"), "OK");
    await set.promoted(first);
  });
  await assertKeptAndEpochChanged(set.url, result);
  await listen.until(() => listen.lost.length > 0, "the subscription told to recover");
});

Deno.test("createRedisEngine through CLUSTER FAILOVER loses no acknowledged publication", async () => {
  await using cluster = await startRedisCluster();
  const key = `rt:{${TOPIC}}:meta`;
  const master = await cluster.masterOf(key);
  let replica: RedisServer | undefined;
  for (const node of cluster.nodes) {
    if ((await node.cli("INFO", "replication")).includes(`master_port:${master.port}`)) {
      replica = node;
    }
  }
  await using engine = await createRedisEngine({ url: cluster.url, history, ...quiet });
  const listen = new Listen();
  await engine.subscribe(TOPIC, listen);
  const result = await publishThrough(engine, async () => {
    assert.equal(await replica!.cli("CLUSTER", "FAILOVER"), "OK");
    await cluster.promoted(key, master);
  });
  await assertKeptAndEpochChanged(cluster.url, result);
  await listen.until(() => listen.lost.length > 0, "the subscription told to recover");
});
