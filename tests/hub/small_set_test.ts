import assert from "node:assert/strict";
import {
  fewHas,
  fewSize,
  type FewStrings,
  fewToArray,
  fewWith,
  fewWithout,
  SmallSet,
} from "../../src/hub/_small_set.ts";

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

Deno.test("fewWith and fewWithout behave as a Set through one member, many, and back to none", () => {
  let set: FewStrings = undefined;
  const model = new Set<string>();
  const script: [op: "add" | "delete", value: string][] = [
    ["delete", "a"],
    ["add", "a"],
    ["add", "a"],
    ["delete", "b"],
    ["delete", "a"],
    ["add", "b"],
    ["add", "c"],
    ["add", "b"],
    ["delete", "b"],
    ["add", "d"],
    ["delete", "c"],
    ["delete", "d"],
    ["add", "e"],
  ];
  for (const [op, value] of script) {
    if (op === "add") {
      set = fewWith(set, value);
      model.add(value);
    } else {
      set = fewWithout(set, value);
      model.delete(value);
    }
    assert.equal(fewSize(set), model.size, `${op} ${value}`);
    assert.deepEqual(fewToArray(set), [...model], `${op} ${value}`);
    for (const probe of ["a", "b", "c", "d", "e"]) {
      assert.equal(fewHas(set, probe), model.has(probe), `has ${probe} after ${op} ${value}`);
    }
  }
  // One member is the string itself (no object); none is undefined.
  assert.equal(fewWith(undefined, "x"), "x");
  assert.equal(fewWithout("x", "x"), undefined);
  assert.equal(fewWithout(fewWith("x", "y"), "x") instanceof Set, true);
  assert.equal(fewWithout(fewWithout(fewWith("x", "y"), "x"), "y"), undefined);
});

Deno.test("fewToArray is a copy", () => {
  const set = fewWith(fewWith(undefined, "x"), "y");
  let changed: FewStrings = set;
  for (const v of fewToArray(set)) changed = fewWithout(changed, v);
  assert.deepEqual([fewSize(changed), fewToArray(changed)], [0, []]);
});
