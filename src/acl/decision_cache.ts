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

/** One entry, linked in use order (`older` toward the least recently used). */
interface Node<V> {
  readonly key: string;
  value: V;
  expiresAt: number;
  older: Node<V> | undefined;
  newer: Node<V> | undefined;
}

/**
 * The entries in a Map for lookup and in a doubly linked list for use order:
 * a hit moves its node to the newest end by relinking, where re-inserting it
 * in the Map (its own insertion order) cost a delete and an insert per hit,
 * and the hub reads this cache for every publish frame.
 */
class LruTtlCache<V> implements DecisionCache<V> {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Node<V>>();
  /** The least recently used entry. */
  #oldest: Node<V> | undefined;
  /** The most recently used entry. */
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
    if (node !== this.#newest) {
      this.#unlink(node);
      this.#append(node);
    }
    return node.value;
  }

  set(key: string, value: V): void {
    const expiresAt = this.#now() + this.#ttlMs;
    const node = this.#entries.get(key);
    if (node !== undefined) {
      node.value = value;
      node.expiresAt = expiresAt;
      if (node !== this.#newest) {
        this.#unlink(node);
        this.#append(node);
      }
      return;
    }
    if (this.#entries.size >= this.#max) this.#remove(this.#oldest!);
    const added: Node<V> = { key, value, expiresAt, older: undefined, newer: undefined };
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
