import assert from "node:assert/strict";
import { createFlushQueue, type Flushable } from "../../src/hub/_flush_queue.ts";
import { ManualClock } from "../_support/manual_clock.ts";

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

/** A fan-out: `n` connections with one message each. */
function fanout(prefix: string, n: number, log: string[]): Flushable[] {
  return Array.from({ length: n }, (_, i) => item(`${prefix}${i}`, log));
}

/** A queue holding publications for 1 ms, and a busy flush (64 writes) at time 1000. */
function busyQueue(log: string[], options: { busyWrites?: number; writesPerTurn?: number } = {}) {
  const turns = manualTurns();
  const clock = new ManualClock(1_000);
  const drained: number[] = [];
  const queue = createFlushQueue({
    schedule: turns.schedule,
    coalesceMs: 1,
    clock,
    drained: () => drained.push(clock.now()),
    ...options,
  });
  for (const x of fanout("a", 64, log)) queue.add(x);
  turns.turn();
  log.length = 0;
  drained.length = 0;
  return { turns, clock, queue, drained };
}

Deno.test("createFlushQueue holds no publication while the hub is idle", () => {
  const turns = manualTurns();
  const clock = new ManualClock(1_000);
  const queue = createFlushQueue({ schedule: turns.schedule, coalesceMs: 1, clock });
  const log: string[] = [];
  // Small flushes never open the window, however close together.
  for (let i = 0; i < 3; i++) {
    assert.equal(queue.hold(item(`p${i}`, log)), false);
    assert.equal(turns.scheduled, 1);
    turns.turn();
  }
  assert.deepEqual(log, ["p0", "p1", "p2"]);
  // A busy flush more than a window ago opens none either.
  for (const x of fanout("a", 64, log)) queue.hold(x);
  turns.turn();
  clock.advance(2);
  assert.equal(queue.hold(item("late", log)), false);
  turns.turn();
  assert.equal(log.at(-1), "late");
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("createFlushQueue holds publications for coalesceMs after a busy flush, so later ones join", () => {
  const log: string[] = [];
  const { turns, clock, queue, drained } = busyQueue(log);
  assert.equal(queue.hold(item("b", log)), true);
  assert.equal(queue.hold(item("c", log)), true);
  assert.equal(queue.size, 2);
  assert.equal(turns.turn(), 0);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(0.5);
  assert.deepEqual(log, []);
  clock.advance(0.5);
  assert.deepEqual(log, ["b", "c"]);
  assert.deepEqual(drained, [1_001]);
  assert.equal(queue.size, 0);
  // That flush wrote two messages: once the busy one is a window old, none waits.
  clock.advance(1);
  assert.equal(queue.hold(item("d", log)), false);
  turns.turn();
  assert.equal(log.at(-1), "d");
});

Deno.test("createFlushQueue flushes replies at the end of the turn while publications wait", () => {
  const log: string[] = [];
  const { turns, clock, queue } = busyQueue(log);
  assert.equal(queue.hold(item("publication", log)), true);
  queue.add(item("reply", log));
  turns.turn();
  assert.deepEqual(log, ["reply"]);
  clock.advance(1);
  assert.deepEqual(log, ["reply", "publication"]);
});

Deno.test("createFlushQueue keeps coalescing while busy and slices a held flush by writesPerTurn", () => {
  const log: string[] = [];
  const { turns, clock, queue } = busyQueue(log, { writesPerTurn: 64 });
  for (const x of fanout("b", 70, log)) assert.equal(queue.hold(x), true);
  clock.advance(1);
  assert.equal(log.length, 64);
  // The rest at the end of the next turn, in order, after what was waiting.
  queue.add(item("c", log));
  turns.turn();
  assert.deepEqual(log.slice(64), ["b64", "b65", "b66", "b67", "b68", "b69", "c"]);
  // Busy (71 writes over the slices): the next publication waits again.
  assert.equal(queue.hold(item("d", log)), true);
  clock.advance(1);
  assert.equal(log.at(-1), "d");
});

Deno.test("createFlushQueue counts a busy flush from busyWrites", () => {
  const log: string[] = [];
  const { turns, queue } = busyQueue(log, { busyWrites: 65 });
  assert.equal(queue.hold(item("b", log)), false);
  turns.turn();
  assert.deepEqual(log, ["b"]);
});

Deno.test("createFlushQueue close flushes what waits for the window and holds no more", () => {
  const log: string[] = [];
  const { turns, clock, queue } = busyQueue(log);
  assert.equal(queue.hold(item("b", log)), true);
  queue.close();
  assert.deepEqual(log, ["b"]);
  assert.equal(clock.pendingTimers, 0);
  assert.equal(queue.hold(item("c", log)), false);
  turns.turn();
  assert.deepEqual(log, ["b", "c"]);
});

Deno.test("createFlushQueue with coalesceMs 0 never holds", () => {
  const turns = manualTurns();
  const queue = createFlushQueue({ schedule: turns.schedule });
  const log: string[] = [];
  for (const x of fanout("a", 100, log)) queue.add(x);
  turns.turn();
  assert.equal(queue.hold(item("b", log)), false);
  turns.turn();
  assert.equal(log.at(-1), "b");
});

Deno.test("createFlushQueue rejects a bad coalesceMs or busyWrites, and a window without a clock", () => {
  const clock = new ManualClock(0);
  for (const coalesceMs of [-1, Number.NaN, Infinity]) {
    assert.throws(
      () => createFlushQueue({ schedule: () => {}, coalesceMs, clock }),
      (e: unknown) => e instanceof RangeError && /coalesceMs/.test(e.message),
    );
  }
  for (const busyWrites of [0, 2.5]) {
    assert.throws(
      () => createFlushQueue({ schedule: () => {}, busyWrites, clock }),
      (e: unknown) => e instanceof RangeError && /busyWrites/.test(e.message),
    );
  }
  assert.throws(
    () => createFlushQueue({ schedule: () => {}, coalesceMs: 1 }),
    (e: unknown) => e instanceof TypeError && /clock/.test(e.message),
  );
});

Deno.test("createFlushQueue reuses its slots: a later, smaller turn writes only its own items", () => {
  const turns = manualTurns();
  const queue = createFlushQueue({ schedule: turns.schedule, writesPerTurn: 3_000 });
  const log: string[] = [];
  // 10,000 items over four slices: the array is compacted after the second.
  for (let i = 0; i < 10_000; i++) queue.add(item(String(i), log));
  turns.turn();
  turns.turn();
  queue.add(item("late", log));
  assert.equal(queue.size, 4_001);
  while (turns.turn() > 0);
  assert.deepEqual(log, [...Array.from({ length: 10_000 }, (_, i) => String(i)), "late"]);
  assert.equal(queue.size, 0);
  for (let round = 0; round < 3; round++) {
    log.length = 0;
    queue.add(item("a", log));
    queue.add(item("b", log));
    assert.equal(queue.size, 2);
    assert.equal(turns.turn(), 1);
    assert.deepEqual(log, ["a", "b"]);
    assert.equal(queue.size, 0);
    assert.equal(turns.scheduled, 0);
  }
});
