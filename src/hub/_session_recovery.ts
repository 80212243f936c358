/**
 * A session's subscribe with recovery, as pure parts: what the engine is
 * asked when a subscription on a topic with history starts, the reply that
 * carries the position, and the record of positions a connection was given
 * (a `since` at or after one resumes what it was already entitled to, so it
 * needs no `history` permission). The session keeps the state and the
 * order; these decide.
 *
 * @module
 */

import type { AckFrame, RequestId, TopicPosition } from "../protocol/frames.ts";
import type { Engine, HistoryEntry, StreamPosition } from "../engine/engine.ts";

/** What a starting subscription read: its position, whether it recovered, and the replay. */
export interface RecoveryRead {
  /** The topic's position when read. */
  readonly position: StreamPosition;
  /** Whether `since` was recovered; `undefined` when no `since` was asked for. */
  readonly recovered: boolean | undefined;
  /** The missed publications, oldest first; empty unless recovered. */
  readonly replay: readonly HistoryEntry[];
}

/**
 * Reads a starting subscription's position, or recovers from `since` when
 * `replay` allows it (without the `history` permission a foreign `since` is
 * answered `recovered: false`).
 */
export function readRecovery(
  engine: Engine,
  topic: string,
  since: TopicPosition | undefined,
  replay: boolean,
  maxRecover: number,
): Promise<RecoveryRead> {
  return since === undefined
    ? engine.position(topic).then((position) => ({ position, recovered: undefined, replay: [] }))
    : !replay
    ? engine.position(topic).then((position) => ({ position, recovered: false, replay: [] }))
    : engine.recover(topic, since, maxRecover).then((r) => ({
      position: r.position,
      recovered: r.recovered,
      replay: r.recovered ? r.publications : [],
    }));
}

/** The subscribe reply that carries the position (`id` right after `type`, as in every other reply). */
export function recoveryAck(
  id: RequestId | undefined,
  position: StreamPosition,
  recovered: boolean | undefined,
  data: unknown,
): AckFrame {
  const ack: AckFrame = id === undefined
    ? { type: "ack", offset: position.offset, epoch: position.epoch }
    : { type: "ack", id, offset: position.offset, epoch: position.epoch };
  if (recovered !== undefined) ack.recovered = recovered;
  if (data !== undefined) ack.data = data;
  return ack;
}

/** Whether `since` is at or after the position the connection was last given for `topic`. */
export function ownPosition(
  positions: Map<string, TopicPosition> | undefined,
  topic: string,
  since: TopicPosition,
): boolean {
  const given = positions?.get(topic);
  return given !== undefined && given.epoch === since.epoch && since.offset >= given.offset;
}

/**
 * Records the position a subscribe reply gave for `topic`. Past `max`
 * entries, the oldest one of a topic no longer subscribed is dropped (its
 * next recovery then needs `history`).
 */
export function recordPosition(
  positions: Map<string, TopicPosition>,
  topic: string,
  position: TopicPosition,
  max: number,
  subscribed: (topic: string) => boolean,
): void {
  positions.delete(topic);
  positions.set(topic, { offset: position.offset, epoch: position.epoch });
  if (positions.size <= max) return;
  for (const old of positions.keys()) {
    if (!subscribed(old)) {
      positions.delete(old);
      return;
    }
  }
}
