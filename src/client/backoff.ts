/**
 * Reconnect delays: exponential back-off with full jitter, so clients
 * dropped together by a server restart do not come back together.
 *
 * @module
 */

/** Bounds of the back-off schedule. */
export interface BackoffOptions {
  /**
   * Ceiling of the first retry's delay, in milliseconds.
   *
   * @default {500}
   */
  baseMs?: number;
  /**
   * Largest delay, in milliseconds.
   *
   * @default {30000}
   */
  maxMs?: number;
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry): a
 * uniformly random value in `[0, min(maxMs, baseMs * 2^attempt))`
 * ("full jitter").
 *
 * @param attempt How many retries already failed.
 * @param options Base and ceiling.
 * @param random A source of numbers in `[0, 1)`; injectable for tests.
 * @returns The delay in milliseconds.
 *
 * @example Compute a delay
 * ```ts
 * import { backoffDelay } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 10_000 }, () => 0.5), 400);
 * assert.equal(backoffDelay(30, { baseMs: 100, maxMs: 10_000 }, () => 0.5), 5_000);
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const baseMs = options.baseMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(
      `Cannot compute back-off for attempt ${attempt}: a non-negative integer is required`,
    );
  }
  if (!(baseMs > 0) || !(maxMs >= baseMs)) {
    throw new RangeError(
      `Cannot compute back-off with baseMs ${baseMs} and maxMs ${maxMs}: 0 < baseMs <= maxMs is required`,
    );
  }
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * ceiling);
}
