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

/**
 * One take from a token bucket kept as a single number: the time at which it
 * is full again (the generic cell rate algorithm, the same decisions as
 * {@linkcode createTokenBucket}). A full bucket is any time not after `now`
 * (`0` for a new one), so an object holding a bucket pays for one field and
 * nothing until its first take; every connection holds one.
 *
 * @param fullAt The bucket: when it is full again, epoch ms.
 * @param now The time of the take, epoch ms.
 * @param perSecond Refill rate.
 * @param burst Capacity.
 * @returns The bucket after the take, or `undefined` when it is empty (the bucket is unchanged then).
 *
 * @example Allow a burst of two, then one per second
 * ```ts
 * import { takeToken } from "./token_bucket.ts";
 * import assert from "node:assert/strict";
 *
 * let bucket = 0;
 * bucket = takeToken(bucket, 0, 1, 2)!;
 * bucket = takeToken(bucket, 0, 1, 2)!;
 * assert.equal(takeToken(bucket, 0, 1, 2), undefined);
 * assert.equal(typeof takeToken(bucket, 1000, 1, 2), "number");
 * ```
 */
export function takeToken(
  fullAt: number,
  now: number,
  perSecond: number,
  burst: number,
): number | undefined {
  const interval = 1000 / perSecond;
  // Tokens missing at `now` are (fullAt - now) / interval; a take needs one left.
  if (fullAt - now > (burst - 1) * interval) return undefined;
  return (fullAt > now ? fullAt : now) + interval;
}
