/**
 * A bounded cache with a time-to-live, for the hub to cache decisions of its
 * `authorize` hook and of the ACL. Beyond its bound it evicts by the CLOCK
 * policy, an approximation of least recently used that costs a hit no
 * reordering.
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
  /**
   * Most entries held; beyond it an entry not used since the cache last
   * looked for one to evict is evicted (CLOCK, close to least recently used).
   * @default {1024}
   */
  readonly max?: number;
  /** How long an entry stays valid after it is set, in milliseconds. @default {60_000} */
  readonly ttlMs?: number;
  /** The clock, in milliseconds. @default {Date.now} */
  readonly now?: () => number;
}

/**
 * A bounded cache whose entries expire, evicting by the CLOCK policy (close to
 * least recently used). `get` and `set` are O(1), amortized for `set`.
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
   * Reads an entry and marks it used, so that the next eviction spares it.
   *
   * @param key The key.
   * @returns The value, or `undefined` when absent or expired.
   */
  get(key: string): V | undefined;
  /**
   * Stores an entry, valid for `ttlMs` from now. When the cache is full, the
   * first entry not used since the last eviction passed it, in the order
   * entries were stored, is evicted (entries passed that were used are
   * spared once).
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
 * Creates a bounded cache with a time-to-live and CLOCK eviction.
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
  return new ClockTtlCache<V>(max, ttlMs, now);
}

/** One entry, in its slot of the clock's ring. */
interface Entry<V> {
  readonly key: string;
  value: V;
  expiresAt: number;
  /** Read or written since the hand last passed: spared once. */
  used: boolean;
  /** Its index in the ring. */
  readonly slot: number;
}

/**
 * The entries in a Map for lookup and in a ring of slots swept by a hand
 * (the CLOCK policy, a second-chance approximation of least recently used):
 * a hit only marks its entry used, and a full cache evicts the first entry
 * the hand finds unused since it last passed, sparing the used ones once.
 * A linked list kept in exact use order relinked its entry and both
 * neighbours on every hit: three objects touched, two of them cold when one
 * publisher cycles through many topics, on every publish frame.
 */
class ClockTtlCache<V> implements DecisionCache<V> {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<V>>();
  /** At most `max` slots; a freed one is listed in `#free` until reused. */
  #slots: (Entry<V> | undefined)[] = [];
  #free: number[] = [];
  #hand = 0;

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
      this.#remove(entry);
      return undefined;
    }
    entry.used = true;
    return entry.value;
  }

  set(key: string, value: V): void {
    const expiresAt = this.#now() + this.#ttlMs;
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.value = value;
      entry.expiresAt = expiresAt;
      entry.used = true;
      return;
    }
    const slot = this.#free.length > 0
      ? this.#free.pop()!
      : this.#slots.length < this.#max
      ? this.#slots.length
      : this.#evict();
    const added: Entry<V> = { key, value, expiresAt, used: false, slot };
    this.#slots[slot] = added;
    this.#entries.set(key, added);
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#remove(entry);
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#slots = [];
    this.#free = [];
    this.#hand = 0;
  }

  #remove(entry: Entry<V>): void {
    this.#entries.delete(entry.key);
    this.#slots[entry.slot] = undefined;
    this.#free.push(entry.slot);
  }

  /**
   * Evicts the first entry from the hand on not used since the hand last
   * passed, clearing the marks it passes, and returns its slot. Called only
   * when every slot holds an entry, so it ends within two turns.
   */
  #evict(): number {
    const slots = this.#slots;
    for (;;) {
      const slot = this.#hand;
      this.#hand = slot + 1 === slots.length ? 0 : slot + 1;
      const entry = slots[slot]!;
      if (entry.used) entry.used = false;
      else {
        this.#entries.delete(entry.key);
        return slot;
      }
    }
  }
}
