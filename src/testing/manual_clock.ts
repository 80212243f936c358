/**
 * A {@linkcode Clock} whose time moves only when a test says so, for hub
 * tests of token expiry, deadlines and rate limits without sleeping.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../hub/clock.ts";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock for tests: `now()` stands still until {@linkcode ManualClock.advance}.
 *
 * @example Run a timer by advancing time
 * ```ts
 * import { ManualClock } from "@realtime/hub/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock(0);
 * let fired = false;
 * clock.setTimer(() => fired = true, 1000);
 * clock.advance(999);
 * assert.equal(fired, false);
 * clock.advance(1);
 * assert.equal(fired, true);
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #next = 1;

  /**
   * Creates a clock standing at `start`.
   *
   * @param start The time it starts at, epoch ms.
   */
  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  /** The current time, epoch ms. */
  now = (): number => this.#now;

  /** Runs `fn` once time has advanced by `ms`. */
  setTimer = (fn: () => void, ms: number): TimerHandle => {
    const timer = { id: this.#next++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return timer.id;
  };

  /** Cancels a timer. */
  clearTimer = (handle: TimerHandle): void => {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  };

  /**
   * Moves time forward, running due timers in time order.
   *
   * @param ms How far.
   */
  advance(ms: number): void {
    const target = this.#now + ms;
    while (true) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const due = this.#timers[0];
      if (due === undefined || due.at > target) break;
      this.#timers.shift();
      this.#now = due.at;
      due.fn();
    }
    this.#now = target;
  }

  /** Timers not yet run. */
  get pendingTimers(): number {
    return this.#timers.length;
  }
}
