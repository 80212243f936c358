/**
 * The hub's clock read once per client frame. A publish frame needs the
 * time three times (the rate bucket, the decision cache's expiry, the
 * publication's `ts`), and reading the system clock costs about as much as
 * a decision cache hit: while a session handles a frame synchronously, the
 * time it read for the rate bucket stands for the others. Between frames,
 * and in what a frame left for later (a promise's reaction), the clock is
 * read as always. Internal to the hub.
 *
 * @module
 */

import type { Clock, TimerHandle } from "./clock.ts";

/** A {@linkcode Clock} that holds one reading while a frame is handled. */
export interface FrameClock extends Clock {
  /**
   * The time of the frame being handled, or the clock's time between
   * frames. A plain function (no `this`): callers keep it detached.
   */
  readonly now: () => number;
  /**
   * From now until {@linkcode FrameClock.release}, `now` answers `at`.
   *
   * @param at The time the frame's handling began, read from the clock.
   */
  hold(at: number): void;
  /** The frame was handled: `now` reads the clock again. */
  release(): void;
}

/**
 * Wraps a clock so that one reading serves a whole frame.
 *
 * @param clock The hub's clock.
 * @returns The frame clock; timers are the clock's own.
 *
 * @example One reading while a frame is handled
 * ```ts
 * import { createFrameClock } from "./_frame_clock.ts";
 * import assert from "node:assert/strict";
 *
 * let t = 1_000;
 * const frames = createFrameClock({ now: () => t, setTimer: () => 0, clearTimer: () => {} });
 * frames.hold(t);
 * t = 1_005;
 * assert.equal(frames.now(), 1_000);
 * frames.release();
 * assert.equal(frames.now(), 1_005);
 * ```
 */
export function createFrameClock(clock: Clock): FrameClock {
  let held: number | undefined;
  return {
    now: () => held ?? clock.now(),
    hold(at) {
      held = at;
    },
    release() {
      held = undefined;
    },
    setTimer: (fn: () => void, ms: number): TimerHandle => clock.setTimer(fn, ms),
    clearTimer: (handle: TimerHandle) => clock.clearTimer(handle),
  };
}
