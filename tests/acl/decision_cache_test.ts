import assert from "node:assert/strict";
import { createDecisionCache } from "../../src/acl/decision_cache.ts";

Deno.test("createDecisionCache evicts the least recently used entry", () => {
  const cache = createDecisionCache<number>({ max: 3 });
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("c", 3);
  assert.equal(cache.get("a"), 1); // a is now the most recently used
  cache.set("d", 4); // evicts b
  assert.equal(cache.size, 3);
  assert.equal(cache.get("b"), undefined);
  assert.equal(cache.get("a"), 1);
  assert.equal(cache.get("c"), 3);
  assert.equal(cache.get("d"), 4);
});

Deno.test("createDecisionCache keeps LRU order across repeated hits, deletes and clears", () => {
  const cache = createDecisionCache<number>({ max: 3 });
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("c", 3);
  for (let i = 0; i < 3; i++) assert.equal(cache.get("c"), 3); // c is already the newest
  assert.equal(cache.get("a"), 1); // order now b, c, a
  assert.equal(cache.get("a"), 1);
  cache.set("d", 4); // evicts b
  assert.deepEqual(["a", "b", "c", "d"].map((k) => cache.get(k)), [1, undefined, 3, 4]);
  // Order is now a, c, d; deleting the newest and using a again leaves c the oldest.
  assert.equal(cache.delete("d"), true);
  assert.equal(cache.get("a"), 1);
  cache.set("e", 5);
  cache.set("f", 6); // evicts c
  assert.deepEqual(["a", "c", "e", "f"].map((k) => cache.get(k)), [1, undefined, 5, 6]);
  cache.clear();
  cache.set("g", 7);
  assert.deepEqual([cache.size, cache.get("g")], [1, 7]);
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
