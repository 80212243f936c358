/**
 * The idempotency window: the keys of recent publications, each with the
 * position it was published at, so a publication sent again with the same
 * key (a client retrying after it lost the connection before the `ack`) is
 * answered with the original position instead of being published twice.
 *
 * Keys are scoped by topic and publisher: one user's key never matches
 * another's. The window is bounded three times: a key is remembered for at
 * most `windowMs`, a publisher keeps at most `maxKeys` keys per topic, and
 * the window at most `maxTotal` keys in all (the oldest goes first). The in-memory engine holds one; the Redis engine keeps
 * the same rules in its publish script (see `docs/engine.md`).
 *
 * @module
 */

import type { StreamPosition } from "./engine.ts";

/**
 * Options of {@linkcode IdempotencyWindow}.
 *
 * @example Remember keys for a minute, at most 100 per publisher and topic
 * ```ts
 * import type { IdempotencyWindowOptions } from "./idempotency_window.ts";
 *
 * const options: IdempotencyWindowOptions = { windowMs: 60_000, maxKeys: 100, now: () => Date.now() };
 * ```
 */
export interface IdempotencyWindowOptions {
  /** How long a key is remembered, in milliseconds. @default {300_000} */
  readonly windowMs?: number;
  /** Most keys remembered per publisher and topic; the oldest goes first. @default {1000} */
  readonly maxKeys?: number;
  /**
   * Most keys remembered in all, a bound on memory; past it the oldest
   * goes first, so under a heavy load keys last less than `windowMs`.
   * @default {100_000}
   */
  readonly maxTotal?: number;
  /** Current time in epoch milliseconds. */
  readonly now: () => number;
}

/** Default of {@linkcode IdempotencyWindowOptions.windowMs}: five minutes. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 300_000;
/** Default of {@linkcode IdempotencyWindowOptions.maxKeys}. */
export const DEFAULT_MAX_IDEMPOTENCY_KEYS = 1000;
/** Default of {@linkcode IdempotencyWindowOptions.maxTotal}. */
export const DEFAULT_MAX_IDEMPOTENCY_KEYS_TOTAL = 100_000;

/**
 * Checks the window's bounds, as both engines take them.
 *
 * @param windowMs How long a key is remembered.
 * @param maxKeys Most keys per publisher and topic.
 * @throws {RangeError} When either is not a positive safe integer.
 *
 * @example Refuse a zero window
 * ```ts
 * import { checkIdempotencyBounds } from "./idempotency_window.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkIdempotencyBounds(0, 10), RangeError);
 * ```
 */
export function checkIdempotencyBounds(windowMs: number, maxKeys: number): void {
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
    throw new RangeError(
      `Invalid 'idempotencyWindowMs': expected a positive integer, got ${windowMs}`,
    );
  }
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(
      `Invalid 'maxIdempotencyKeys': expected a positive integer, got ${maxKeys}`,
    );
  }
}

interface Held {
  /** `null`: published on a topic without history, so without a position. */
  readonly position: StreamPosition | null;
  readonly until: number;
  /** Its name in `#held`: the scope and the key. */
  readonly name: string;
  /** Its scope's keys, shared by every key of the scope. */
  readonly scope: Scope;
}

/** One scope's keys (their names), oldest first. */
interface Scope {
  readonly id: string;
  readonly names: Set<string>;
}

/**
 * Remembers publications' keys with their positions, bounded in time and
 * count. Every key sits in one map in insertion order, and as the window is
 * the same for all, that is also expiry order: lapsed keys are dropped from
 * its front, and past `maxTotal` the oldest go first. Each scope (topic and
 * publisher) also lists its own keys in order, for its `maxKeys` bound.
 *
 * @example Answer a repeat with the original position
 * ```ts
 * import { IdempotencyWindow } from "./idempotency_window.ts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const window = new IdempotencyWindow({ windowMs: 1000, maxKeys: 10, now: () => now });
 * window.remember("chat:a", "alice", "k1", { offset: 7, epoch: "e" });
 * assert.deepEqual(window.get("chat:a", "alice", "k1"), { offset: 7, epoch: "e" });
 * assert.equal(window.get("chat:a", "bob", "k1"), undefined);
 * now = 1000;
 * assert.equal(window.get("chat:a", "alice", "k1"), undefined);
 * ```
 */
export class IdempotencyWindow {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #maxTotal: number;
  readonly #now: () => number;
  /** Every remembered key by scope and key, oldest first. */
  readonly #held = new Map<string, Held>();
  /** Each scope's keys, by scope. */
  readonly #scopes = new Map<string, Scope>();

  /**
   * Makes an empty window.
   *
   * @param options The bounds and the clock.
   */
  constructor(options: IdempotencyWindowOptions) {
    const {
      windowMs = DEFAULT_IDEMPOTENCY_WINDOW_MS,
      maxKeys = DEFAULT_MAX_IDEMPOTENCY_KEYS,
      maxTotal = DEFAULT_MAX_IDEMPOTENCY_KEYS_TOTAL,
    } = options;
    checkIdempotencyBounds(windowMs, maxKeys);
    if (!Number.isSafeInteger(maxTotal) || maxTotal < 1) {
      throw new RangeError(
        `Invalid 'maxIdempotencyKeysTotal': expected a positive integer, got ${maxTotal}`,
      );
    }
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
    this.#maxTotal = maxTotal;
    this.#now = options.now;
  }

  /** How many keys are remembered, over every scope. */
  get size(): number {
    return this.#held.size;
  }

  /**
   * The position a key was published at, if it is still remembered.
   *
   * @param topic The concrete topic.
   * @param from The publisher's subject (`null`: the server).
   * @param key The publication's idempotency key.
   * @returns Its position; `null` when it was published without one (a
   * topic without history); `undefined` when the key is not remembered.
   */
  get(topic: string, from: string | null, key: string): StreamPosition | null | undefined {
    const held = this.#held.get(nameOf(scopeOf(topic, from), key));
    if (held === undefined) return undefined;
    if (held.until <= this.#now()) {
      this.#drop(held);
      return undefined;
    }
    return held.position;
  }

  /**
   * Remembers the position a key was published at, dropping lapsed keys
   * and, past `maxKeys` for the scope or `maxTotal` in all, the oldest.
   *
   * @param topic The concrete topic.
   * @param from The publisher's subject (`null`: the server).
   * @param key The publication's idempotency key.
   * @param position Where it was published; `null` on a topic without history.
   */
  remember(
    topic: string,
    from: string | null,
    key: string,
    position: StreamPosition | null,
  ): void {
    this.sweep();
    const id = scopeOf(topic, from);
    const name = nameOf(id, key);
    const previous = this.#held.get(name);
    if (previous !== undefined) this.#drop(previous);
    let scope = this.#scopes.get(id);
    if (scope === undefined) this.#scopes.set(id, scope = { id, names: new Set() });
    this.#held.set(name, { position, until: this.#now() + this.#windowMs, name, scope });
    const { names } = scope;
    names.add(name);
    while (names.size > this.#maxKeys) this.#drop(this.#held.get(names.values().next().value!)!);
    while (this.#held.size > this.#maxTotal) this.#drop(this.#held.values().next().value!);
  }

  /** Drops every lapsed key, oldest first (also the engine's periodic sweep). */
  sweep(): void {
    const now = this.#now();
    for (const held of this.#held.values()) {
      if (held.until > now) break;
      this.#drop(held);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.#held.clear();
    this.#scopes.clear();
  }

  #drop(held: Held): void {
    this.#held.delete(held.name);
    const { scope } = held;
    scope.names.delete(held.name);
    if (scope.names.size === 0) this.#scopes.delete(scope.id);
  }
}

function scopeOf(topic: string, from: string | null): string {
  // A topic never holds a NUL, so the pair cannot be forged from either side.
  return from === null ? `${topic}\0` : `${topic}\0${from}\0`;
}

function nameOf(scope: string, key: string): string {
  // A key is printable ASCII: the scope's last NUL ends it unambiguously.
  return `${scope}${key}`;
}
