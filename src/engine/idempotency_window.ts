/**
 * The idempotency window: the keys of recent publications, each with the
 * position it was published at, so a publication sent again with the same
 * key (a client retrying after it lost the connection before the `ack`) is
 * answered with the original position instead of being published twice.
 *
 * Keys are scoped by topic and publisher: one user's key never matches
 * another's. The window is bounded twice: a key is remembered for at most
 * `windowMs`, and a publisher keeps at most `maxKeys` keys per topic (the
 * oldest goes first). The in-memory engine holds one; the Redis engine keeps
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
  /** Current time in epoch milliseconds. */
  readonly now: () => number;
}

/** Default of {@linkcode IdempotencyWindowOptions.windowMs}: five minutes. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 300_000;
/** Default of {@linkcode IdempotencyWindowOptions.maxKeys}. */
export const DEFAULT_MAX_IDEMPOTENCY_KEYS = 1000;

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
}

/**
 * Remembers publications' keys with their positions, bounded in time and
 * count. Entries of one scope are kept in insertion order, and as the window
 * is the same for all, that is also expiry order: the oldest is always first.
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
  readonly #now: () => number;
  /** Scope (topic and publisher) to its keys, oldest first. */
  readonly #scopes = new Map<string, Map<string, Held>>();

  /** @param options The bounds and the clock. */
  constructor(options: IdempotencyWindowOptions) {
    const {
      windowMs = DEFAULT_IDEMPOTENCY_WINDOW_MS,
      maxKeys = DEFAULT_MAX_IDEMPOTENCY_KEYS,
    } = options;
    checkIdempotencyBounds(windowMs, maxKeys);
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
    this.#now = options.now;
  }

  /** How many keys are remembered, over every scope. */
  get size(): number {
    let size = 0;
    for (const keys of this.#scopes.values()) size += keys.size;
    return size;
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
    const keys = this.#scopes.get(scopeOf(topic, from));
    const held = keys?.get(key);
    if (held === undefined) return undefined;
    if (held.until <= this.#now()) {
      keys!.delete(key);
      return undefined;
    }
    return held.position;
  }

  /**
   * Remembers the position a key was published at, dropping the scope's
   * expired keys and, past `maxKeys`, its oldest.
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
    const scope = scopeOf(topic, from);
    let keys = this.#scopes.get(scope);
    if (keys === undefined) this.#scopes.set(scope, keys = new Map());
    const now = this.#now();
    dropExpired(keys, now);
    keys.delete(key);
    keys.set(key, { position, until: now + this.#windowMs });
    while (keys.size > this.#maxKeys) keys.delete(keys.keys().next().value!);
  }

  /** Drops every expired key and the scopes left empty (the engine's sweep). */
  sweep(): void {
    const now = this.#now();
    for (const [scope, keys] of this.#scopes) {
      dropExpired(keys, now);
      if (keys.size === 0) this.#scopes.delete(scope);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.#scopes.clear();
  }
}

function scopeOf(topic: string, from: string | null): string {
  // A topic never holds a NUL, so the pair cannot be forged from either side.
  return from === null ? `${topic}\0` : `${topic}\0${from}\0`;
}

function dropExpired(keys: Map<string, Held>, now: number): void {
  for (const [key, held] of keys) {
    if (held.until > now) break;
    keys.delete(key);
  }
}
