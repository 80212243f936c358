/**
 * A bounded LRU cache with a time-to-live, for the hub to cache decisions of
 * its `authorize` hook and of the ACL.
 *
 * @module
 */

/**
 * Options for {@linkcode createDecisionCache}.
 *
 * @example A small cache with a fake clock
 * ```ts
 * import type { DecisionCacheOptions } from "./decision_cache.ts";
 *
 * let t = 0;
 * const options: DecisionCacheOptions = { max: 100, ttlMs: 5_000, now: () => t };
 * ```
 */
export interface DecisionCacheOptions {
  /** Most entries held; the least recently used is evicted beyond it. @default {1024} */
  readonly max?: number;
  /** How long an entry stays valid after it is set, in milliseconds. @default {60_000} */
  readonly ttlMs?: number;
  /** The clock, in milliseconds. @default {Date.now} */
  readonly now?: () => number;
}

/**
 * A bounded LRU cache whose entries expire. `get` and `set` are O(1).
 *
 * @example Cache a decision per connection, action and topic
 * ```ts
 * import { createDecisionCache, type DecisionCache } from "./decision_cache.ts";
 *
 * const cache: DecisionCache<boolean> = createDecisionCache({ max: 10 });
 * cache.set("conn1|subscribe|chat:lobby", true);
 * cache.get("conn1|subscribe|chat:lobby"); // true
 * ```
 */
export interface DecisionCache<V> {
  /**
   * Reads an entry and marks it most recently used.
   *
   * @param key The key.
   * @returns The value, or `undefined` when absent or expired.
   */
  get(key: string): V | undefined;
  /**
   * Stores an entry, valid for `ttlMs` from now, evicting the least recently
   * used entry when the cache is full.
   *
   * @param key The key.
   * @param value The value.
   */
  set(key: string, value: V): void;
  /**
   * Removes an entry, for example when a principal's access is revoked.
   *
   * @param key The key.
   * @returns Whether an entry was removed.
   */
  delete(key: string): boolean;
  /** Removes every entry. */
  clear(): void;
  /** How many entries are held, counting expired ones not yet evicted. */
  readonly size: number;
}

/**
 * Creates a bounded LRU cache with a time-to-live.
 *
 * @typeParam V The cached value type.
 * @param options Capacity, time-to-live and clock.
 * @returns An empty cache.
 * @throws {RangeError} When `max` is not a positive integer or `ttlMs` is not
 * a positive number.
 *
 * @example Expire entries with an injected clock
 * ```ts
 * import { createDecisionCache } from "./decision_cache.ts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const cache = createDecisionCache<string>({ max: 2, ttlMs: 1_000, now: () => now });
 * cache.set("a", "allowed");
 * now = 999;
 * assert.equal(cache.get("a"), "allowed");
 * now = 1_000;
 * assert.equal(cache.get("a"), undefined);
 * ```
 */
export function createDecisionCache<V>(options: DecisionCacheOptions = {}): DecisionCache<V> {
  const { max = 1024, ttlMs = 60_000, now = Date.now } = options;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new RangeError(
      `Cannot create decision cache: max must be a positive integer, got ${max}`,
    );
  }
  if (typeof ttlMs !== "number" || Number.isNaN(ttlMs) || ttlMs <= 0) {
    throw new RangeError(
      `Cannot create decision cache: ttlMs must be a positive number, got ${ttlMs}`,
    );
  }
  if (typeof now !== "function") {
    throw new TypeError(`Cannot create decision cache: now must be a function, got ${typeof now}`);
  }
  return new LruTtlCache<V>(max, ttlMs, now);
}

class LruTtlCache<V> implements DecisionCache<V> {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** A Map iterates in insertion order, so re-inserting on use keeps the LRU first. */
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  /** The most recently used key: a hit on it needs no reordering (the common case on a hot topic). */
  #newest: string | undefined;

  constructor(max: number, ttlMs: number, now: () => number) {
    this.#max = max;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.delete(key);
      return undefined;
    }
    if (key !== this.#newest) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#newest = key;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
    this.#newest = key;
  }

  delete(key: string): boolean {
    if (key === this.#newest) this.#newest = undefined;
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#newest = undefined;
  }
}
