// A clock whose time moves only when a test says so.

import type { Clock, TimerHandle } from "../../src/hub/clock.ts";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #next = 1;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now = (): number => this.#now;

  setTimer = (fn: () => void, ms: number): TimerHandle => {
    const timer = { id: this.#next++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return timer.id;
  };

  clearTimer = (handle: TimerHandle): void => {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  };

  /** Moves time forward, running due timers in time order. */
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

  get pendingTimers(): number {
    return this.#timers.length;
  }
}
