/**
 * One timer for many deadlines. Every connection has one to three of them
 * (first-message timeout, `token_expiring`, token expiry); a runtime timer
 * each costs about a kilobyte per connection in Deno, so they live in a
 * binary heap here and a single clock timer is armed for the earliest.
 *
 * @module
 */

import type { Clock, TimerHandle } from "./clock.ts";
import { smallInteger } from "./_small_integer.ts";

/** A scheduled deadline, from {@linkcode Deadlines.add}: a handle for {@linkcode Deadlines.cancel}. */
export interface Deadline {
  /** When it is due, in milliseconds after the deadlines were created. */
  readonly due: number;
}

/** Deadlines created by {@linkcode createDeadlines}. */
export interface Deadlines {
  /**
   * Runs `fn` once the clock reaches `at`, with `this` set to `self` when
   * given: a method shared by many objects then needs no closure per object.
   *
   * @returns A handle for {@linkcode Deadlines.cancel}.
   */
  add<T>(at: number, fn: (this: T) => void, self?: T): Deadline;
  /** Cancels a deadline; a no-op once it ran or was cancelled. */
  cancel(deadline: Deadline): void;
  /** Deadlines waiting. */
  readonly size: number;
  /** Cancels everything and releases the clock timer. */
  close(): void;
}

/**
 * A deadline in the heap. Its time is kept relative to when the deadlines
 * were created, not as an epoch time: for about 24 days that is an integer
 * V8 keeps in the entry itself, where an epoch time (past 2^31) is a number
 * object of its own, 16 bytes more on the entry every connection holds.
 */
interface Entry extends Deadline {
  readonly due: number;
  readonly seq: number;
  fn: ((this: unknown) => void) | undefined;
  self: unknown;
}

/**
 * Creates an empty set of deadlines on a clock. Deadlines due at the same
 * time run in the order they were added.
 *
 * @param clock The clock that tells time and arms the one timer.
 * @returns The deadlines.
 *
 * @example Run what is due
 * ```ts
 * import { createDeadlines } from "./_deadlines.ts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * let armed: (() => void) | undefined;
 * const clock = { now: () => now, setTimer: (fn: () => void) => (armed = fn), clearTimer() {} };
 * const deadlines = createDeadlines(clock);
 * const ran: string[] = [];
 * deadlines.add(20, () => ran.push("b"));
 * deadlines.add(10, () => ran.push("a"));
 * now = 15;
 * armed!();
 * assert.deepEqual(ran, ["a"]);
 * deadlines.close();
 * ```
 */
export function createDeadlines(clock: Clock): Deadlines {
  const heap: Entry[] = [];
  /** The time entries' `due` counts from. */
  const origin = clock.now();
  let live = 0;
  let seq = 0;
  let timer: TimerHandle | undefined;
  /** The `due` the timer is armed for. */
  let armedAt = Infinity;

  const before = (a: Entry, b: Entry) => a.due < b.due || (a.due === b.due && a.seq < b.seq);

  function push(entry: Entry): void {
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  function pop(): Entry {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      while (true) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
        if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }

  /** Drops cancelled entries from the top, so heap[0] is the next live one. */
  function skipCancelled(): void {
    while (heap.length > 0 && heap[0].fn === undefined) pop();
  }

  function arm(): void {
    skipCancelled();
    const next = heap[0]?.due ?? Infinity;
    if (next === armedAt) return;
    if (timer !== undefined) clock.clearTimer(timer);
    timer = undefined;
    armedAt = next;
    if (next === Infinity) return;
    timer = clock.setTimer(run, next - (clock.now() - origin));
  }

  function run(): void {
    timer = undefined;
    armedAt = Infinity;
    const now = clock.now() - origin;
    skipCancelled();
    while (heap.length > 0 && heap[0].due <= now) {
      const entry = pop();
      const fn = entry.fn!;
      const self = entry.self;
      entry.fn = undefined;
      entry.self = undefined;
      live--;
      fn.call(self);
      skipCancelled();
    }
    arm();
  }

  return {
    add(at, fn, self) {
      const due = smallInteger(at - origin);
      const entry: Entry = { due, seq: seq++, fn: fn as (this: unknown) => void, self };
      push(entry);
      live++;
      if (due < armedAt) arm();
      return entry;
    },
    cancel(deadline) {
      const entry = deadline as Entry;
      if (entry.fn === undefined) return;
      entry.fn = undefined;
      entry.self = undefined;
      live--;
      // Cancelled entries wait in the heap until they reach the top; rebuild
      // when they are most of it, so memory follows the live count.
      if (heap.length > 1024 && live * 2 < heap.length) {
        const kept = heap.filter((e) => e.fn !== undefined);
        heap.length = 0;
        for (const e of kept) push(e);
      }
      if (heap[0] === entry) arm();
    },
    get size() {
      return live;
    },
    close() {
      for (const entry of heap) entry.fn = entry.self = undefined;
      heap.length = 0;
      live = 0;
      if (timer !== undefined) clock.clearTimer(timer);
      timer = undefined;
      armedAt = Infinity;
    },
  };
}
