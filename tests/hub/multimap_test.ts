import assert from "node:assert/strict";
import { Multimap } from "../../src/hub/_multimap.ts";

Deno.test("Multimap holds one connection without a set, then many, then one again", () => {
  const index = new Multimap<{ id: number }>();
  const [a, b, c] = [{ id: 1 }, { id: 2 }, { id: 3 }];
  assert.deepEqual([index.count("u"), index.has("u"), index.get("u")], [0, false, []]);
  assert.equal(index.add("u", a), true);
  assert.equal(index.add("u", a), false); // twice is once
  assert.deepEqual([index.count("u"), index.get("u")], [1, [a]]);
  assert.equal(index.add("u", b), true);
  assert.equal(index.add("u", b), false);
  assert.equal(index.add("u", c), true);
  assert.deepEqual([index.count("u"), index.get("u")], [3, [a, b, c]]);
  assert.equal(index.delete("u", b), true);
  assert.equal(index.delete("u", b), false);
  assert.equal(index.delete("u", c), true);
  assert.deepEqual([index.count("u"), index.get("u")], [1, [a]]);
  assert.equal(index.delete("other", a), false);
  assert.equal(index.delete("u", c), false);
  assert.equal(index.delete("u", a), true);
  assert.deepEqual([index.size, index.has("u"), [...index.keys()]], [0, false, []]);
});

Deno.test("Multimap get returns a copy that is safe to change the index under", () => {
  const index = new Multimap<{ id: number }>();
  const all = [{ id: 1 }, { id: 2 }];
  for (const c of all) index.add("u", c);
  index.add("v", { id: 3 });
  for (const c of index.get("u")) index.delete("u", c);
  assert.deepEqual([index.size, [...index.keys()]], [1, ["v"]]);
});

Deno.test("Multimap forEach visits each value once, and skips values removed during the walk", () => {
  const index = new Multimap<{ id: number }>();
  const [a, b, c] = [{ id: 1 }, { id: 2 }, { id: 3 }];
  const seen: number[] = [];
  index.forEach("none", (v) => seen.push(v.id));
  index.add("one", a);
  index.forEach("one", (v) => seen.push(v.id));
  assert.deepEqual(seen, [1]);
  for (const v of [a, b, c]) index.add("many", v);
  const walked: number[] = [];
  index.forEach("many", (v) => {
    walked.push(v.id);
    if (v === a) index.delete("many", b);
  });
  assert.deepEqual(walked, [1, 3]);
  assert.deepEqual(index.get("many"), [a, c]);
});
