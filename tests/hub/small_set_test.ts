import assert from "node:assert/strict";
import { SmallSet } from "../../src/hub/_small_set.ts";

Deno.test("SmallSet behaves as a Set through one member, many, and back to none", () => {
  const set = new SmallSet<string>();
  const model = new Set<string>();
  // Every operation on a fixed script, checked against a real Set after each step.
  const script: [op: "add" | "delete" | "clear", value: string][] = [
    ["delete", "a"],
    ["add", "a"],
    ["add", "a"],
    ["delete", "b"],
    ["delete", "a"],
    ["delete", "a"],
    ["add", "b"],
    ["add", "c"],
    ["add", "b"],
    ["add", "d"],
    ["delete", "c"],
    ["delete", "b"],
    ["delete", "d"],
    ["add", "e"],
    ["clear", ""],
    ["add", "f"],
  ];
  for (const [op, value] of script) {
    if (op === "clear") {
      set.clear();
      model.clear();
    } else if (op === "add") {
      assert.equal(set.add(value), !model.has(value), `add ${value}`);
      model.add(value);
    } else {
      assert.equal(set.delete(value), model.delete(value), `delete ${value}`);
    }
    assert.equal(set.size, model.size, `${op} ${value}`);
    assert.deepEqual(set.toArray(), [...model], `${op} ${value}`);
    for (const probe of ["a", "b", "c", "d", "e", "f"]) {
      assert.equal(set.has(probe), model.has(probe), `has ${probe} after ${op} ${value}`);
    }
  }
});

Deno.test("SmallSet toArray is a copy", () => {
  const set = new SmallSet<string>();
  set.add("x");
  set.add("y");
  for (const v of set.toArray()) set.delete(v);
  assert.deepEqual([set.size, set.toArray()], [0, []]);
});
