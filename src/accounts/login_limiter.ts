/**
 * Login attempt limits on the hub's token buckets and an injected clock:
 * a tight one per username and client address, so that one address's wrong
 * guesses lock out only that address, a looser ceiling per username over
 * all addresses, and one per address over all usernames.
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
  /**
   * Per username from one client address (an IPv6 address counts by its
   * /64 network): the tight limit on guessing one user's password. Another
   * address is not affected, so a stranger's guesses cannot lock a user out.
   *
   * @default {{ burst: 5, refillSeconds: 60 }}
   */
  perUsernameAndAddress?: AttemptLimit;
  /**
   * Per username over all addresses: the ceiling for guesses spread over
   * many addresses. Locking a user out takes this many attempts, from at
   * least `burst / perUsernameAndAddress.burst` addresses.
   *
   * @default {{ burst: 50, refillSeconds: 60 }}
   */
  perUsername?: AttemptLimit;
  /** Per client address (IPv6 by its /64 network) over all usernames. @default {{ burst: 20, refillSeconds: 6 }} */
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
   * undefined); returns 0 when allowed, else milliseconds to wait. An
   * attempt with a username and no known address counts against that
   * username's tight limit as if from one shared address.
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
 * The key an address is limited under: an IPv4 address itself, an IPv6
 * address its /64 network (one host usually holds a whole /64), anything
 * else as given.
 */
function networkOf(address: string): string {
  if (!address.includes(":")) return address;
  const halves = address.toLowerCase().split("::");
  if (halves.length > 2) return address;
  const [head, tail] = halves.map((half) => half === "" ? [] : half.split(":"));
  const zeros = halves.length === 2 ? 8 - head.length - (tail?.length ?? 0) : 0;
  const groups = [...head, ...Array(Math.max(zeros, 0)).fill("0"), ...(tail ?? [])];
  if (groups.length !== 8) return address;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/**
 * Creates a login limiter. An attempt is refused when any of its buckets
 * is empty (the username's from this address, the username's over all
 * addresses, the address's over all usernames); a refused attempt takes
 * nothing.
 *
 * @param options Limits, clock and map bound.
 * @returns The limiter.
 *
 * @example Five wrong guesses lock out their address, not the user
 * ```ts
 * import { createLoginLimiter } from "@realtime/hub/accounts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const limiter = createLoginLimiter({ now: () => now });
 * for (let i = 0; i < 5; i++) limiter.take("alice", "203.0.113.7");
 * assert.equal(limiter.take("alice", "203.0.113.7"), 60_000);
 * assert.equal(limiter.take("alice", "198.51.100.2"), 0);
 * now = 60_000;
 * assert.equal(limiter.take("alice", "203.0.113.7"), 0);
 * ```
 */
export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const {
    perUsernameAndAddress = { burst: 5, refillSeconds: 60 },
    perUsername = { burst: 50, refillSeconds: 60 },
    perAddress = { burst: 20, refillSeconds: 6 },
    now = Date.now,
    maxKeys = 100_000,
  } = options;
  checkLimit(perUsernameAndAddress, "perUsernameAndAddress");
  checkLimit(perUsername, "perUsername");
  checkLimit(perAddress, "perAddress");
  const pairs = new Map<string, TokenBucket>();
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
      const network = address === undefined ? undefined : networkOf(address);
      const buckets: TokenBucket[] = [];
      if (username !== undefined) {
        // JSON keeps a username and an address from running into each other.
        const pair = JSON.stringify([username, network ?? null]);
        buckets.push(bucket(pairs, pair, perUsernameAndAddress, t));
        buckets.push(bucket(users, username, perUsername, t));
      }
      if (network !== undefined) buckets.push(bucket(addresses, network, perAddress, t));
      const wait = Math.max(0, ...buckets.map((b) => b.retryAfterMs(t)));
      if (wait > 0) return wait;
      for (const b of buckets) b.take(t);
      return 0;
    },
  };
}
