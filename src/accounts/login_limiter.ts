/**
 * Login attempt limits per username and per client address, on the hub's
 * token buckets and an injected clock.
 *
 * @module
 */

import { createTokenBucket, type TokenBucket } from "../hub/token_bucket.ts";

/** One limit: a burst, then one attempt per `refillSeconds`. */
export interface AttemptLimit {
  /** Attempts allowed at once. */
  burst: number;
  /** Seconds to earn back one attempt. */
  refillSeconds: number;
}

/** Options of {@linkcode createLoginLimiter}. */
export interface LoginLimiterOptions {
  /** Per username. @default {{ burst: 5, refillSeconds: 60 }} */
  perUsername?: AttemptLimit;
  /** Per client address. @default {{ burst: 20, refillSeconds: 6 }} */
  perAddress?: AttemptLimit;
  /** The clock, epoch ms. @default {Date.now} */
  now?: () => number;
  /** Most keys tracked per kind before full buckets are dropped. @default {100000} */
  maxKeys?: number;
}

/** Limits login attempts; created by {@linkcode createLoginLimiter}. */
export interface LoginLimiter {
  /**
   * Takes one attempt for a username and an address (either may be
   * undefined); returns 0 when allowed, else milliseconds to wait.
   */
  take(username: string | undefined, address: string | undefined): number;
}

function checkLimit(limit: AttemptLimit, name: string): void {
  if (
    typeof limit !== "object" || limit === null || !(limit.burst >= 1) ||
    !Number.isFinite(limit.refillSeconds) || !(limit.refillSeconds > 0)
  ) {
    throw new RangeError(
      `Cannot create a login limiter as '${name}' is ${
        JSON.stringify(limit)
      }: expected a burst of at least 1 and a positive refillSeconds`,
    );
  }
}

/**
 * Creates a login limiter. An attempt is refused when either the username's
 * or the address's bucket is empty; a refused attempt takes nothing.
 *
 * @param options Limits, clock and map bound.
 * @returns The limiter.
 *
 * @example Two attempts, then wait
 * ```ts
 * import { createLoginLimiter } from "@realtime/hub/accounts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const limiter = createLoginLimiter({ perUsername: { burst: 2, refillSeconds: 30 }, now: () => now });
 * assert.deepEqual([limiter.take("alice", "10.0.0.1"), limiter.take("alice", "10.0.0.2")], [0, 0]);
 * assert.equal(limiter.take("alice", "10.0.0.3"), 30_000);
 * now = 30_000;
 * assert.equal(limiter.take("alice", "10.0.0.3"), 0);
 * ```
 */
export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const {
    perUsername = { burst: 5, refillSeconds: 60 },
    perAddress = { burst: 20, refillSeconds: 6 },
    now = Date.now,
    maxKeys = 100_000,
  } = options;
  checkLimit(perUsername, "perUsername");
  checkLimit(perAddress, "perAddress");
  const users = new Map<string, TokenBucket>();
  const addresses = new Map<string, TokenBucket>();

  function bucket(map: Map<string, TokenBucket>, key: string, limit: AttemptLimit, t: number) {
    let found = map.get(key);
    if (found === undefined) {
      if (map.size >= maxKeys) {
        for (const [k, b] of map) if (b.isFull(t)) map.delete(k);
        // Still full (a wide attack): forget the oldest keys, so memory stays bounded.
        for (const k of map.keys()) {
          if (map.size < maxKeys) break;
          map.delete(k);
        }
      }
      found = createTokenBucket(1 / limit.refillSeconds, limit.burst, t);
      map.set(key, found);
    }
    return found;
  }

  return {
    take(username, address) {
      const t = now();
      const u = username === undefined ? undefined : bucket(users, username, perUsername, t);
      const a = address === undefined ? undefined : bucket(addresses, address, perAddress, t);
      const wait = Math.max(u?.retryAfterMs(t) ?? 0, a?.retryAfterMs(t) ?? 0);
      if (wait > 0) return wait;
      u?.take(t);
      a?.take(t);
      return 0;
    },
  };
}
