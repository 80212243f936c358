/**
 * The memory of accepted signed publications (their `jti`), as a value a
 * verifier can be given: a verifier built to replace another (the hub's
 * rules were updated) takes over its memory, so a publication accepted
 * before the change is still refused as a replay after it.
 *
 * @module
 */

import { ReplayCache } from "./_replay_cache.ts";

/**
 * The `jti` values accepted within the replay window, each kept until a
 * publication carrying it would be refused as stale anyway. Bounded in
 * count; created by {@linkcode createReplayMemory}.
 */
export interface ReplayMemory {
  /** How many ids are held (expired ones may remain until the next `add`). */
  readonly size: number;
  /**
   * When the last id recorded may be forgotten, in epoch milliseconds (0
   * before the first): after it, the memory refuses nothing.
   */
  readonly heldUntil: number;
  /**
   * Records `id` until `expiresAt` (epoch ms), unless it is already held
   * (`replayed`) or the memory is full of unexpired ids (`full`).
   *
   * @param id The publication's `jti`.
   * @param expiresAt When the id may be forgotten, in epoch milliseconds.
   * @param now The current time, in epoch milliseconds.
   * @returns What was done.
   */
  add(id: string, expiresAt: number, now: number): "added" | "replayed" | "full";
}

/** Options for {@linkcode createReplayMemory}. */
export interface ReplayMemoryOptions {
  /** Most ids held at once; past it, publications get `RATE_LIMITED`. @default {100_000} */
  maxEntries?: number;
}

/**
 * Creates an empty replay memory, to give to
 * {@linkcode createPublicationVerifier} as `replays`.
 *
 * @param options The bound on the number of ids held.
 * @returns The memory.
 * @throws {RangeError} When `maxEntries` is not a whole number of at least 1.
 *
 * @example Two verifiers, one memory: a replay is refused by either
 * ```ts
 * import {
 *   createPublicationVerifier,
 *   createReplayMemory,
 *   signPublication,
 * } from "@realtime/hub/signing";
 * import assert from "node:assert/strict";
 *
 * const secret = "a publication secret of at least 32 bytes";
 * const replays = createReplayMemory();
 * const before = createPublicationVerifier({ keys: secret, replays });
 * const after = createPublicationVerifier({ keys: secret, replays });
 * const jws = await signPublication("prices:eur", 1.08, secret);
 * assert.equal((await before.verify("prices:eur", jws)).ok, true);
 * const again = await after.verify("prices:eur", jws);
 * assert.equal(again.ok ? "accepted" : again.code, "SIGNATURE_REPLAYED");
 * ```
 */
export function createReplayMemory(options: ReplayMemoryOptions = {}): ReplayMemory {
  const { maxEntries = 100_000 } = options;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(
      `Cannot create a replay memory as 'maxEntries' is ${maxEntries}: expected a whole number of at least 1`,
    );
  }
  return new ReplayCache(maxEntries);
}
