import assert from "node:assert/strict";
import { UserIndex } from "../../src/hub/_user_index.ts";

Deno.test("UserIndex holds one connection without a set, then many, then one again", () => {
  const index = new UserIndex<{ id: number }>();
  const [a, b, c] = [{ id: 1 }, { id: 2 }, { id: 3 }];
  assert.deepEqual([index.count("u"), index.has("u"), index.get("u")], [0, false, []]);
  index.add("u", a);
  index.add("u", a); // twice is once
  assert.deepEqual([index.count("u"), index.get("u")], [1, [a]]);
  index.add("u", b);
  index.add("u", c);
  assert.deepEqual([index.count("u"), index.get("u")], [3, [a, b, c]]);
  assert.equal(index.delete("u", b), true);
  assert.equal(index.delete("u", b), false);
  assert.equal(index.delete("u", c), true);
  assert.deepEqual([index.count("u"), index.get("u")], [1, [a]]);
  assert.equal(index.delete("other", a), false);
  assert.equal(index.delete("u", c), false);
  assert.equal(index.delete("u", a), true);
  assert.deepEqual([index.size, index.has("u"), [...index.users()]], [0, false, []]);
});

Deno.test("UserIndex get returns a copy that is safe to change the index under", () => {
  const index = new UserIndex<{ id: number }>();
  const all = [{ id: 1 }, { id: 2 }];
  for (const c of all) index.add("u", c);
  index.add("v", { id: 3 });
  for (const c of index.get("u")) index.delete("u", c);
  assert.deepEqual([index.size, [...index.users()]], [1, ["v"]]);
});
