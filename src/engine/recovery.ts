/**
 * The recovery decision: given where a client was and what a topic's stream
 * holds, replay exactly the missed publications or nothing at all.
 *
 * @module
 */

import type { HistoryEntry, Recovery, StreamPosition } from "./engine.ts";

/**
 * What the recovery decision needs to know about a topic's stream.
 *
 * @example A view over an array of entries
 * ```ts
 * import type { StreamView } from "./recovery.ts";
 *
 * const view: StreamView = {
 *   epoch: "e1",
 *   offset: 3,
 *   oldest: 2, // offset 1 was evicted
 *   read: (from, count) => [],
 * };
 * ```
 */
export interface StreamView {
  /** The stream's epoch. */
  readonly epoch: string;
  /** Offset of the newest publication, 0 before the first. */
  readonly offset: number;
  /** Offset of the oldest publication still held; `offset + 1` when none is. */
  readonly oldest: number;
  /** The held publications with offsets `from` to `from + count - 1`, oldest first. */
  read(from: number, count: number): HistoryEntry[];
}

/**
 * Decides a recovery, all or nothing. The answer is `recovered: false`, with
 * no publications, when `since` belongs to another epoch (`epoch`), is ahead
 * of the stream (`ahead`: a position this stream never gave out), when more
 * than `maxRecover` publications were missed (`cap`), or when some missed
 * publication is no longer held (`gap`). Otherwise it is `recovered: true`
 * with exactly the missed publications, oldest first; none when the client
 * missed nothing.
 *
 * @param since The last position the client saw.
 * @param stream The topic's stream.
 * @param maxRecover Most publications one recovery may replay, a non-negative integer.
 * @returns The decision, with the stream's position.
 * @throws {RangeError} When `maxRecover` is not a non-negative integer.
 *
 * @example A client that missed two publications
 * ```ts
 * import { decideRecovery } from "./recovery.ts";
 * import assert from "node:assert/strict";
 *
 * const held = [1, 2, 3].map((offset) => ({ offset, publication: { data: `${offset}`, from: null, ts: 0 } }));
 * const stream = { epoch: "e", offset: 3, oldest: 1, read: (from: number, n: number) => held.slice(from - 1, from - 1 + n) };
 * const recovery = decideRecovery({ offset: 1, epoch: "e" }, stream, 100);
 * assert.deepEqual(recovery.recovered && recovery.publications.map((p) => p.offset), [2, 3]);
 * assert.equal(decideRecovery({ offset: 1, epoch: "old" }, stream, 100).recovered, false);
 * ```
 */
export function decideRecovery(
  since: StreamPosition,
  stream: StreamView,
  maxRecover: number,
): Recovery {
  if (!Number.isInteger(maxRecover) || maxRecover < 0) {
    throw new RangeError(
      `Invalid 'maxRecover': expected a non-negative integer, got ${maxRecover}`,
    );
  }
  const position = { offset: stream.offset, epoch: stream.epoch };
  if (since.epoch !== stream.epoch) return { recovered: false, reason: "epoch", position };
  if (since.offset > stream.offset) return { recovered: false, reason: "ahead", position };
  const missed = stream.offset - since.offset;
  if (missed > maxRecover) return { recovered: false, reason: "cap", position };
  if (missed > 0 && stream.oldest > since.offset + 1) {
    return { recovered: false, reason: "gap", position };
  }
  const publications = missed === 0 ? [] : stream.read(since.offset + 1, missed);
  // Trust nothing the view returns: a short or out-of-order read is a gap.
  if (publications.length !== missed) return { recovered: false, reason: "gap", position };
  for (let i = 0; i < missed; i++) {
    if (publications[i].offset !== since.offset + 1 + i) {
      return { recovered: false, reason: "gap", position };
    }
  }
  return { recovered: true, publications, position };
}
