/**
 * A bounded cache with a time-to-live, for the hub to cache decisions of its
 * `authorize` hook and of the ACL. Eviction is second chance (CLOCK): a
 * close approximation of least-recently-used whose hit is one flag store.
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
   * Most entries held; beyond it the oldest entry not read since it was last
   * passed over is evicted (second chance). @default {1024}
   */
  readonly max?: number;
  /** How long an entry stays valid after it is set, in milliseconds. @default {60_000} */
  readonly ttlMs?: number;
  /** The clock, in milliseconds. @default {Date.now} */
  readonly now?: () => number;
}

/**
 * A bounded cache whose entries expire. `get` is O(1); `set` is O(1)
 * amortized. Eviction is second chance: entries wait in the order they were
 * added, and the oldest one goes unless it was read since it was added or
 * last passed over, in which case it is passed over (moved to the newest end,
 * its mark cleared) and the next oldest is considered.
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
   * Reads an entry and marks it used, which spares it from the next
   * eviction that reaches it.
   *
   * @param key The key.
   * @returns The value, or `undefined` when absent or expired.
   */
  get(key: string): V | undefined;
  /**
   * Stores an entry, valid for `ttlMs` from now, evicting one entry when the
   * cache is full: the oldest not used since it was last passed over.
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
 * Creates a bounded second-chance cache with a time-to-live.
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
  return new SecondChanceTtlCache<V>(max, ttlMs, now);
}

/** One entry, linked in the order entries were added or passed over (`older` toward the next to evict). */
interface Node<V> {
  readonly key: string;
  value: V;
  expiresAt: number;
  /** Read (or overwritten) since it was added or last passed over. */
  used: boolean;
  older: Node<V> | undefined;
  newer: Node<V> | undefined;
}

/**
 * The entries in a Map for lookup and in a doubly linked list for eviction
 * order. Second chance rather than exact LRU: the hub reads this cache for
 * every publish frame, and a publisher round-robining over many topics
 * misses the newest entry on nearly every hit, so exact LRU relinked a node
 * (several pointer stores, each through the garbage collector's write barrier) per
 * frame where a hit now stores one flag. The order differs from LRU only in
 * which of the entries read since the last eviction pass goes first; an
 * entry never read again still goes before any that was, and the bound is
 * the same: a full cache evicts exactly one entry per `set`.
 */
class SecondChanceTtlCache<V> implements DecisionCache<V> {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Node<V>>();
  /** The next entry to consider for eviction. */
  #oldest: Node<V> | undefined;
  /** The entry added or passed over last. */
  #newest: Node<V> | undefined;

  constructor(max: number, ttlMs: number, now: () => number) {
    this.#max = max;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const node = this.#entries.get(key);
    if (node === undefined) return undefined;
    if (this.#now() >= node.expiresAt) {
      this.#remove(node);
      return undefined;
    }
    node.used = true;
    return node.value;
  }

  set(key: string, value: V): void {
    const expiresAt = this.#now() + this.#ttlMs;
    const node = this.#entries.get(key);
    if (node !== undefined) {
      node.value = value;
      node.expiresAt = expiresAt;
      node.used = true;
      return;
    }
    if (this.#entries.size >= this.#max) this.#evict();
    const added: Node<V> = {
      key,
      value,
      expiresAt,
      used: false,
      older: undefined,
      newer: undefined,
    };
    this.#entries.set(key, added);
    this.#append(added);
  }

  delete(key: string): boolean {
    const node = this.#entries.get(key);
    if (node === undefined) return false;
    this.#remove(node);
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#oldest = undefined;
    this.#newest = undefined;
  }

  /**
   * Removes the oldest entry not used since it was last passed over. Each
   * pass clears a mark, so this ends within one lap of the list, and a lap
   * is paid for by the hits that set the marks: O(1) amortized.
   */
  #evict(): void {
    let node = this.#oldest!;
    while (node.used) {
      node.used = false;
      this.#unlink(node);
      this.#append(node);
      node = this.#oldest!;
    }
    this.#remove(node);
  }

  #remove(node: Node<V>): void {
    this.#entries.delete(node.key);
    this.#unlink(node);
  }

  #unlink(node: Node<V>): void {
    if (node.older === undefined) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.#newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }

  #append(node: Node<V>): void {
    node.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
  }
}
