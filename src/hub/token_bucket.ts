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
 * import { createTokenBucket } from "./token_bucket.ts";
 * import assert from "node:assert/strict";
 *
 * const bucket = createTokenBucket(1, 2, 0);
 * assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, false]);
 * assert.equal(bucket.retryAfterMs(0), 1000);
 * assert.equal(bucket.take(1000), true);
 * ```
 */
export function createTokenBucket(perSecond: number, burst: number, now: number): TokenBucket {
  return new Bucket(perSecond, burst, now);
}

// A class rather than closures: every connection holds one, and methods on
// the prototype keep each bucket to its four numbers.
class Bucket implements TokenBucket {
  #perSecond: number;
  #burst: number;
  #tokens: number;
  #last: number;

  constructor(perSecond: number, burst: number, now: number) {
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  #refill(t: number): void {
    if (t > this.#last) {
      this.#tokens = Math.min(
        this.#burst,
        this.#tokens + ((t - this.#last) * this.#perSecond) / 1000,
      );
      this.#last = t;
    }
  }

  take(t: number): boolean {
    this.#refill(t);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  retryAfterMs(t: number): number {
    this.#refill(t);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.#perSecond);
  }

  isFull(t: number): boolean {
    this.#refill(t);
    return this.#tokens >= this.#burst;
  }
}
