/**
 * Token buckets for rate limits: a pure state machine over injected time.
 *
 * @module
 */

/** A token bucket, created by {@linkcode createTokenBucket}. */
export interface TokenBucket {
  /** Takes one token at time `now` (epoch ms); `false` when the bucket is empty. */
  take(now: number): boolean;
  /** Milliseconds until a token is available at time `now`. */
  retryAfterMs(now: number): number;
  /** Whether the bucket is full at time `now` (it can be forgotten). */
  isFull(now: number): boolean;
}

/**
 * Creates a full bucket that refills `perSecond` tokens per second up to
 * `burst`.
 *
 * @param perSecond Refill rate.
 * @param burst Capacity.
 * @param now Creation time, epoch ms.
 * @returns The bucket.
 *
 * @example Allow a burst of two, then one per second
 * ```ts
 * import { createTokenBucket } from "@realtime/hub";
 * import assert from "node:assert/strict";
 *
 * const bucket = createTokenBucket(1, 2, 0);
 * assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, false]);
 * assert.equal(bucket.retryAfterMs(0), 1000);
 * assert.equal(bucket.take(1000), true);
 * ```
 */
export function createTokenBucket(perSecond: number, burst: number, now: number): TokenBucket {
  let tokens = burst;
  let last = now;
  const refill = (t: number) => {
    if (t > last) {
      tokens = Math.min(burst, tokens + ((t - last) * perSecond) / 1000);
      last = t;
    }
  };
  return {
    take(t) {
      refill(t);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    retryAfterMs(t) {
      refill(t);
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / perSecond);
    },
    isFull(t) {
      refill(t);
      return tokens >= burst;
    },
  };
}
