/**
 * Time as a dependency, so timed behaviour is testable without sleeping.
 *
 * @module
 */

/** An opaque timer handle returned by {@linkcode Clock.setTimer}. */
export type TimerHandle = unknown;

/**
 * The source of time and timers used by the hub.
 *
 * @example Use the system clock
 * ```ts
 * import { systemClock } from "@realtime/hub";
 *
 * const handle = systemClock.setTimer(() => {}, 10);
 * systemClock.clearTimer(handle);
 * ```
 */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a no-op for a timer that already ran. */
  clearTimer(handle: TimerHandle): void;
}

/** The real clock: `Date.now` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1)),
  clearTimer: (handle) => clearTimeout(handle as number),
};
