// The back-off schedule, by table, and how its jitter spreads a crowd.

import assert from "node:assert/strict";
import { backoffDelay } from "../../src/client/mod.ts";

Deno.test("backoffDelay follows min(maxMs, baseMs * 2^attempt) scaled by random", () => {
  const table: [attempt: number, random: number, expected: number][] = [
    [0, 0, 0],
    [0, 0.5, 250],
    [0, 0.999, 499],
    [1, 0.5, 500],
    [2, 0.5, 1000],
    [5, 0.5, 8000],
    [6, 0.5, 15000], // capped: 32000 > 30000
    [6, 0.999, 29970],
    [1000, 0.5, 15000], // no overflow for huge attempts
  ];
  for (const [attempt, random, expected] of table) {
    assert.equal(backoffDelay(attempt, {}, () => random), expected, `attempt ${attempt}`);
  }
});

Deno.test("backoffDelay honours baseMs and maxMs", () => {
  const options = { baseMs: 100, maxMs: 1000 };
  const ceilings = [0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, options, () => 0.9999999));
  assert.deepEqual(ceilings, [99, 199, 399, 799, 999, 999]);
});

Deno.test("backoffDelay rejects bad attempts and bounds with RangeError", () => {
  assert.throws(() => backoffDelay(-1), {
    name: "RangeError",
    message: "Cannot compute back-off for attempt -1: a non-negative integer is required",
  });
  assert.throws(() => backoffDelay(1.5), RangeError);
  assert.throws(() => backoffDelay(0, { baseMs: 0 }), RangeError);
  assert.throws(() => backoffDelay(0, { baseMs: 100, maxMs: 50 }), {
    name: "RangeError",
    message:
      "Cannot compute back-off with baseMs 100 and maxMs 50: 0 < baseMs <= maxMs is required",
  });
});

Deno.test("backoffDelay full jitter spreads clients dropped together across the window", () => {
  // A seeded generator stands in for a thousand browsers' Math.random.
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 1000; i++) {
    const delay = backoffDelay(3, { baseMs: 500, maxMs: 30_000 }, random);
    assert.ok(delay >= 0 && delay < 4000);
    buckets[Math.floor(delay / 400)]++;
  }
  // Every 400 ms slice of the 4 s window gets roughly a tenth: no stampede.
  for (const count of buckets) assert.ok(count > 60 && count < 140, `buckets: ${buckets}`);
});
