import assert from "node:assert/strict";
import { createFlushQueue, type Flushable } from "../../src/hub/_flush_queue.ts";

/** A scheduler driven by hand: `turn()` runs what was scheduled. */
function manualTurns() {
  const queue: (() => void)[] = [];
  return {
    schedule: (fn: () => void) => void queue.push(fn),
    turn() {
      const fns = queue.splice(0);
      for (const fn of fns) fn();
      return fns.length;
    },
    get scheduled() {
      return queue.length;
    },
  };
}

function item(name: string, log: string[], writes = 1): Flushable {
  return {
    flush() {
      log.push(name);
      return writes;
    },
  };
}

Deno.test("createFlushQueue flushes everything added in one turn once, in order", () => {
  const turns = manualTurns();
  const queue = createFlushQueue({ schedule: turns.schedule });
  const log: string[] = [];
  queue.add(item("a", log));
  queue.add(item("b", log));
  queue.add(item("c", log));
  assert.equal(turns.scheduled, 1);
  assert.deepEqual(log, []);
  assert.equal(turns.turn(), 1);
  assert.deepEqual(log, ["a", "b", "c"]);
  assert.equal(queue.size, 0);
  assert.equal(turns.scheduled, 0);
});

Deno.test("createFlushQueue writes at most writesPerTurn per turn and keeps the order", () => {
  const turns = manualTurns();
  const queue = createFlushQueue({ schedule: turns.schedule, writesPerTurn: 4 });
  const log: string[] = [];
  for (let i = 0; i < 10; i++) queue.add(item(String(i), log));
  turns.turn();
  assert.deepEqual(log, ["0", "1", "2", "3"]);
  assert.equal(queue.size, 6);
  // Added between slices: after the ones already waiting.
  queue.add(item("late", log));
  turns.turn();
  turns.turn();
  assert.deepEqual(log, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "late"]);
  assert.equal(turns.turn(), 0);
  assert.equal(turns.scheduled, 0);
  assert.equal(queue.size, 0);
});

Deno.test("createFlushQueue counts writes, not items, against the budget", () => {
  const turns = manualTurns();
  const queue = createFlushQueue({ schedule: turns.schedule, writesPerTurn: 10 });
  const log: string[] = [];
  queue.add(item("big", log, 25));
  queue.add(item("next", log));
  queue.add(item("empty", log, 0));
  turns.turn();
  assert.deepEqual(log, ["big"]);
  turns.turn();
  assert.deepEqual(log, ["big", "next", "empty"]);
});

Deno.test("createFlushQueue takes items added while it flushes in the next turn", () => {
  const turns = manualTurns();
  const queue = createFlushQueue({ schedule: turns.schedule });
  const log: string[] = [];
  queue.add({
    flush() {
      log.push("first");
      queue.add(item("again", log));
      return 1;
    },
  });
  turns.turn();
  assert.deepEqual(log, ["first", "again"]);
});

Deno.test("createFlushQueue rejects a writesPerTurn that is not a positive integer", () => {
  for (const writesPerTurn of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => createFlushQueue({ schedule: () => {}, writesPerTurn }),
      (e: unknown) => e instanceof RangeError && /writesPerTurn/.test(e.message),
    );
  }
});
