import assert from "node:assert/strict";
import { createDecisionCache } from "../../src/acl/decision_cache.ts";

Deno.test("createDecisionCache evicts an entry not used since it was stored, sparing a used one", () => {
  const cache = createDecisionCache<number>({ max: 3 });
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("c", 3);
  assert.equal(cache.get("a"), 1); // a is used: spared once
  cache.set("d", 4); // evicts b
  assert.equal(cache.size, 3);
  assert.equal(cache.get("b"), undefined);
  assert.equal(cache.get("a"), 1);
  assert.equal(cache.get("c"), 3);
  assert.equal(cache.get("d"), 4);
});

Deno.test("createDecisionCache spares used entries once per pass, across deletes and clears", () => {
  const cache = createDecisionCache<number>({ max: 3 });
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("c", 3);
  for (let i = 0; i < 3; i++) assert.equal(cache.get("c"), 3);
  assert.equal(cache.get("a"), 1);
  cache.set("d", 4); // the hand spares a (clearing its mark) and evicts b
  assert.deepEqual(["a", "b", "c", "d"].map((k) => cache.get(k)), [1, undefined, 3, 4]);
  // A deleted entry's slot is taken by the next one: nothing is evicted.
  assert.equal(cache.delete("d"), true);
  cache.set("e", 5);
  assert.equal(cache.size, 3);
  // c and a were used since the hand passed: spared, and e, never used, is evicted.
  cache.set("f", 6);
  assert.deepEqual(["a", "c", "e", "f"].map((k) => cache.get(k)), [1, 3, undefined, 6]);
  // The reads above marked every entry: the hand goes round once, clearing
  // the marks, and evicts the first it meets again, c (where it rested).
  cache.set("g", 7);
  assert.deepEqual(["a", "c", "f", "g"].map((k) => cache.get(k)), [1, undefined, 6, 7]);
  cache.clear();
  cache.set("h", 8);
  assert.deepEqual([cache.size, cache.get("h")], [1, 8]);
});

Deno.test("createDecisionCache keeps every key of a cycle shorter than its bound", () => {
  const cache = createDecisionCache<number>({ max: 1024 });
  for (let i = 0; i < 1000; i++) cache.set(`t${i}`, i);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 1000; i++) assert.equal(cache.get(`t${i}`), i);
  }
  // Past the bound, only unused entries go: the 24 new ones fit, the 25th evicts one.
  for (let i = 1000; i < 1025; i++) cache.set(`t${i}`, i);
  assert.equal(cache.size, 1024);
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
