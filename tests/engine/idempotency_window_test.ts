import assert from "node:assert/strict";
import { IdempotencyWindow } from "../../src/engine/idempotency_window.ts";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";
import { ManualClock } from "../_support/manual_clock.ts";

const at = (offset: number) => ({ offset, epoch: "e" });

Deno.test("IdempotencyWindow forgets a key once its window passed, by the injected clock", () => {
  let now = 1000;
  const window = new IdempotencyWindow({ windowMs: 500, maxKeys: 10, now: () => now });
  window.remember("chat:a", "alice", "k", at(1));
  now = 1499;
  assert.deepEqual(window.get("chat:a", "alice", "k"), at(1));
  now = 1500;
  assert.equal(window.get("chat:a", "alice", "k"), undefined);
  assert.equal(window.size, 0, "the lapsed key was dropped, not only hidden");
});

Deno.test("IdempotencyWindow keeps at most maxKeys per publisher and topic, the oldest going first", () => {
  const window = new IdempotencyWindow({ windowMs: 60_000, maxKeys: 3, now: () => 0 });
  for (let i = 1; i <= 5; i++) window.remember("chat:a", "alice", `k${i}`, at(i));
  window.remember("chat:a", "bob", "k1", at(6));
  assert.equal(window.get("chat:a", "alice", "k1"), undefined);
  assert.equal(window.get("chat:a", "alice", "k2"), undefined);
  assert.deepEqual(window.get("chat:a", "alice", "k3"), at(3));
  assert.deepEqual(window.get("chat:a", "alice", "k5"), at(5));
  // Alice's keys never push out Bob's: the bound is per publisher.
  assert.deepEqual(window.get("chat:a", "bob", "k1"), at(6));
  assert.equal(window.size, 4);
});

Deno.test("IdempotencyWindow scopes keys by topic and publisher, server included", () => {
  const window = new IdempotencyWindow({ now: () => 0 });
  window.remember("chat:a", "alice", "k", at(1));
  assert.equal(window.get("chat:b", "alice", "k"), undefined);
  assert.equal(window.get("chat:a", "bob", "k"), undefined);
  assert.equal(window.get("chat:a", null, "k"), undefined);
  assert.equal(window.get("chat:a", "", "k"), undefined);
});

Deno.test("IdempotencyWindow sweep drops lapsed keys and empty scopes", () => {
  let now = 0;
  const window = new IdempotencyWindow({ windowMs: 100, maxKeys: 10, now: () => now });
  window.remember("chat:a", "alice", "k1", at(1));
  now = 50;
  window.remember("chat:b", "alice", "k2", at(1));
  now = 120;
  window.sweep();
  assert.equal(window.size, 1);
  assert.deepEqual(window.get("chat:b", "alice", "k2"), at(1));
});

Deno.test("IdempotencyWindow rejects bounds that are not positive integers", () => {
  assert.throws(
    () => new IdempotencyWindow({ windowMs: 0, now: () => 0 }),
    /'idempotencyWindowMs'.*got 0/,
  );
  assert.throws(
    () => new IdempotencyWindow({ maxKeys: 1.5, now: () => 0 }),
    /'maxIdempotencyKeys'.*got 1.5/,
  );
});

Deno.test("createMemoryEngine publishes a repeated key again once the window passed", async () => {
  const clock = new ManualClock();
  await using engine = createMemoryEngine({
    history: [{ pattern: "chat:*", size: 100, ttlMs: 600_000 }],
    clock,
    idempotencyWindowMs: 1000,
    maxIdempotencyKeys: 2,
  });
  const pub = { data: '"hi"', from: "alice", ts: 0 };
  const first = await engine.publish("chat:a", pub, { idempotencyKey: "k" });
  assert.deepEqual(await engine.publish("chat:a", pub, { idempotencyKey: "k" }), first);
  clock.advance(1000);
  const later = await engine.publish("chat:a", pub, { idempotencyKey: "k" });
  assert.equal(later?.offset, 2, "a key past its window is a new publication");
  // Two newer keys push "k" out of the count bound.
  await engine.publish("chat:a", pub, { idempotencyKey: "x" });
  await engine.publish("chat:a", pub, { idempotencyKey: "y" });
  const again = await engine.publish("chat:a", pub, { idempotencyKey: "k" });
  assert.equal(again?.offset, 5);
});

Deno.test("createMemoryEngine rejects idempotency bounds that are not positive integers", () => {
  assert.throws(() => createMemoryEngine({ idempotencyWindowMs: -1 }), RangeError);
  assert.throws(() => createMemoryEngine({ maxIdempotencyKeys: 0 }), RangeError);
});

Deno.test("createMemoryEngine without history rules sweeps remembered keys, then stops its timer", async () => {
  const clock = new ManualClock();
  await using engine = createMemoryEngine({ clock, idempotencyWindowMs: 5000 });
  assert.equal(clock.pendingTimers, 0, "no timer before any key");
  const got: string[] = [];
  await engine.subscribe("plain:a", { onPublication: (d) => void got.push(d.publication.data) });
  const pub = { data: "1", from: "alice", ts: 0 };
  await engine.publish("plain:a", pub, { idempotencyKey: "k" });
  await engine.publish("plain:a", pub, { idempotencyKey: "k" });
  assert.deepEqual(got, ["1"]);
  assert.equal(clock.pendingTimers, 1, "the sweep runs while a key is remembered");
  clock.advance(5000);
  clock.advance(1000);
  assert.equal(clock.pendingTimers, 0, "and stops once none is");
  await engine.publish("plain:a", pub, { idempotencyKey: "k" });
  assert.deepEqual(got, ["1", "1"], "a lapsed key publishes again");
});

Deno.test("IdempotencyWindow keeps at most maxTotal keys in all, the oldest going first", () => {
  const window = new IdempotencyWindow({
    windowMs: 60_000,
    maxKeys: 10,
    maxTotal: 3,
    now: () => 0,
  });
  window.remember("chat:a", "alice", "k1", at(1));
  window.remember("chat:b", "bob", "k1", at(1));
  window.remember("chat:a", "carol", "k1", at(2));
  window.remember("chat:c", "dave", "k1", null);
  assert.equal(window.size, 3);
  assert.equal(window.get("chat:a", "alice", "k1"), undefined, "the oldest in all went");
  assert.deepEqual(window.get("chat:b", "bob", "k1"), at(1));
  assert.equal(window.get("chat:c", "dave", "k1"), null, "held with no position");
  assert.throws(
    () => new IdempotencyWindow({ maxTotal: 0, now: () => 0 }),
    /'maxIdempotencyKeysTotal'.*got 0/,
  );
});

Deno.test("IdempotencyWindow holds memory to its keys: a flood of scopes leaves at most maxTotal", () => {
  let now = 0;
  const window = new IdempotencyWindow({
    windowMs: 1000,
    maxKeys: 5,
    maxTotal: 500,
    now: () => now,
  });
  for (let i = 0; i < 10_000; i++) window.remember(`chat:${i % 700}`, `u${i % 13}`, `k${i}`, at(i));
  assert.equal(window.size, 500);
  now = 1000;
  window.sweep();
  assert.equal(window.size, 0, "every key lapsed and every scope went with it");
});
