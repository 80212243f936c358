// The Redis engine's idempotency window on a real redis-server: bounded per
// publisher and topic (the oldest key goes first, another publisher's keys
// are untouched), kept with a TTL of the window, shared by two engines (two
// hubs), and refused when malformed. Expiry in time is the Redis clock's
// TTL; the in-memory engine's test moves an injected clock instead.

import assert from "node:assert/strict";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import { idempotencyKeys } from "../../src/engine/redis/_names.ts";
import { startRedisServer } from "../_support/redis_server.ts";

const history = [{ pattern: "h:*", size: 100, ttlMs: 60_000 }];
const from = (user: string | null, data: string) => ({ data, from: user, ts: 1 });

Deno.test("createRedisEngine keeps at most maxIdempotencyKeys per publisher and topic, oldest first", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({
    url: server.url,
    prefix: "idem",
    history,
    maxIdempotencyKeys: 2,
    idempotencyWindowMs: 60_000,
  });
  const publish = (user: string, key: string) =>
    engine.publish("h:a", from(user, `"${key}"`), { idempotencyKey: key });
  const bob = await publish("bob", "k1");
  for (const key of ["k1", "k2", "k3"]) await publish("alice", key);
  // k1 fell out of alice's two; k3 is still remembered; bob's k1 is his own.
  assert.equal((await publish("alice", "k1"))?.offset, 5);
  assert.equal((await publish("alice", "k3"))?.offset, 4);
  assert.deepEqual(await publish("bob", "k1"), bob);
  const { publications } = await engine.history("h:a", { limit: 10 });
  assert.deepEqual(publications.map((p) => p.publication.data), [
    '"k1"',
    '"k1"',
    '"k2"',
    '"k3"',
    '"k1"',
  ]);
  const keys = idempotencyKeys("idem", "h:a", "alice");
  assert.equal(await server.cli("ZCARD", keys.expiry), "2");
  assert.equal(await server.cli("HLEN", keys.positions), "2");
  for (const key of [keys.positions, keys.expiry]) {
    const ttl = Number(await server.cli("PTTL", key));
    assert.ok(ttl > 0 && ttl <= 60_000, `${key} lapses with the window: ${ttl}`);
  }
});

Deno.test("createRedisEngine answers a key repeated through another engine with the first position", async () => {
  await using server = await startRedisServer();
  await using a = await createRedisEngine({ url: server.url, prefix: "idem2", history });
  await using b = await createRedisEngine({ url: server.url, prefix: "idem2", history });
  const first = await a.publish("h:b", from("alice", "1"), { idempotencyKey: "retry-me" });
  assert.deepEqual(
    await b.publish("h:b", from("alice", "1"), { idempotencyKey: "retry-me" }),
    first,
  );
  assert.equal((await b.history("h:b", { limit: 10 })).publications.length, 1);
});

Deno.test("createRedisEngine rejects idempotency bounds that are not positive integers", async () => {
  await assert.rejects(
    createRedisEngine({ url: "redis://127.0.0.1:1", idempotencyWindowMs: 0 }),
    /'idempotencyWindowMs'.*got 0/,
  );
  await assert.rejects(
    createRedisEngine({ url: "redis://127.0.0.1:1", maxIdempotencyKeys: 2.5 }),
    /'maxIdempotencyKeys'.*got 2.5/,
  );
});
