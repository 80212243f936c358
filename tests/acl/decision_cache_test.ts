import assert from "node:assert/strict";
import { createDecisionCache } from "../../src/acl/decision_cache.ts";

Deno.test("createDecisionCache evicts the oldest entry not read since it was added", () => {
  const cache = createDecisionCache<number>({ max: 3 });
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("c", 3);
  assert.equal(cache.get("a"), 1); // a is spared once
  cache.set("d", 4); // passes over a, evicts b
  assert.equal(cache.size, 3);
  assert.equal(cache.get("b"), undefined);
  assert.equal(cache.get("a"), 1);
  assert.equal(cache.get("c"), 3);
  assert.equal(cache.get("d"), 4);
});

Deno.test("createDecisionCache gives a read entry one second chance, across deletes and clears", () => {
  const cache = createDecisionCache<number>({ max: 3 });
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("c", 3);
  for (let i = 0; i < 3; i++) assert.equal(cache.get("c"), 3);
  assert.equal(cache.get("a"), 1); // a and c are marked; order a, b, c
  cache.set("d", 4); // passes over a (order b, c, a), evicts b
  assert.deepEqual(["b", "c", "d"].map((k) => cache.get(k)), [undefined, 3, 4]);
  // Order c, a, d; c and d marked, a's mark was cleared when it was passed over.
  cache.set("e", 5); // passes over c, evicts a: unlike LRU, a read once does not outlast a later read
  assert.deepEqual(["a", "c", "d", "e"].map((k) => cache.get(k)), [undefined, 3, 4, 5]);
  // Order d, c, e, all marked; deleting one leaves room without an eviction.
  assert.equal(cache.delete("d"), true);
  cache.set("f", 6);
  assert.equal(cache.size, 3);
  // Every entry read since the last pass: one lap clears the marks, then the oldest goes.
  assert.deepEqual(["c", "e", "f"].map((k) => cache.get(k)), [3, 5, 6]);
  cache.set("g", 7); // passes over c, e, f, evicts c
  assert.deepEqual(["c", "e", "f", "g"].map((k) => cache.get(k)), [undefined, 5, 6, 7]);
  cache.clear();
  cache.set("h", 8);
  assert.deepEqual([cache.size, cache.get("h")], [1, 8]);
});

Deno.test("createDecisionCache stays bounded and answers what was last set, under random use", () => {
  // A seeded generator (xorshift): the same sequence every run.
  let seed = 0x9e3779b9;
  const random = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  let now = 0;
  const cache = createDecisionCache<number>({ max: 8, ttlMs: 50, now: () => now });
  const truth = new Map<string, { value: number; expiresAt: number }>();
  for (let i = 0; i < 20_000; i++) {
    const key = `k${random(20)}`;
    const op = random(10);
    if (op < 4) {
      cache.set(key, i);
      truth.set(key, { value: i, expiresAt: now + 50 });
    } else if (op < 9) {
      const got = cache.get(key);
      const known = truth.get(key);
      // Absent (evicted or expired) or exactly the value last set, never a stale or foreign one.
      if (got !== undefined) {
        assert.equal(got, known?.value);
        assert.ok(now < known!.expiresAt);
      } else if (known !== undefined && now >= known.expiresAt) truth.delete(key);
    } else {
      cache.delete(key);
      truth.delete(key);
    }
    assert.ok(cache.size <= 8);
    if (random(4) === 0) now++;
  }
});

Deno.test("createDecisionCache overwriting a key refreshes it without growing", () => {
  const cache = createDecisionCache<string>({ max: 2 });
  cache.set("a", "x");
  cache.set("b", "y");
  cache.set("a", "z"); // a becomes most recent
  cache.set("c", "w"); // evicts b
  assert.equal(cache.size, 2);
  assert.equal(cache.get("a"), "z");
  assert.equal(cache.get("b"), undefined);
});

Deno.test("createDecisionCache expires entries after ttlMs on the injected clock", () => {
  let now = 1_000;
  const cache = createDecisionCache<boolean>({ ttlMs: 500, now: () => now });
  cache.set("k", true);
  now = 1_499;
  assert.equal(cache.get("k"), true);
  now = 1_500;
  assert.equal(cache.get("k"), undefined);
  assert.equal(cache.size, 0);
  // A read does not extend the lifetime; a write does.
  cache.set("k", false);
  now = 1_900;
  assert.equal(cache.get("k"), false);
  now = 2_000;
  assert.equal(cache.get("k"), undefined);
});

Deno.test("createDecisionCache caches falsy values", () => {
  const cache = createDecisionCache<unknown>({});
  cache.set("zero", 0);
  cache.set("null", null);
  assert.equal(cache.get("zero"), 0);
  assert.equal(cache.get("null"), null);
});

Deno.test("createDecisionCache delete and clear remove entries", () => {
  const cache = createDecisionCache<number>();
  cache.set("a", 1);
  cache.set("b", 2);
  assert.equal(cache.delete("a"), true);
  assert.equal(cache.delete("a"), false);
  assert.equal(cache.size, 1);
  cache.clear();
  assert.equal(cache.size, 0);
  assert.equal(cache.get("b"), undefined);
});

Deno.test("createDecisionCache defaults to 1024 entries and 60 seconds", () => {
  let now = 0;
  const cache = createDecisionCache<number>({ now: () => now });
  for (let i = 0; i < 1_100; i++) cache.set(`k${i}`, i);
  assert.equal(cache.size, 1_024);
  assert.equal(cache.get("k75"), undefined);
  assert.equal(cache.get("k76"), 76);
  now = 59_999;
  assert.equal(cache.get("k1099"), 1_099);
  now = 60_000;
  assert.equal(cache.get("k1099"), undefined);
});

Deno.test("createDecisionCache rejects bad options", () => {
  const table: [Record<string, unknown>, string, string][] = [
    [
      { max: 0 },
      "RangeError",
      "Cannot create decision cache: max must be a positive integer, got 0",
    ],
    [
      { max: 1.5 },
      "RangeError",
      "Cannot create decision cache: max must be a positive integer, got 1.5",
    ],
    [
      { ttlMs: -1 },
      "RangeError",
      "Cannot create decision cache: ttlMs must be a positive number, got -1",
    ],
    [
      { ttlMs: NaN },
      "RangeError",
      "Cannot create decision cache: ttlMs must be a positive number, got NaN",
    ],
    [{ now: 5 }, "TypeError", "Cannot create decision cache: now must be a function, got number"],
  ];
  for (const [options, name, message] of table) {
    assert.throws(() => createDecisionCache(options), { name, message });
  }
});
