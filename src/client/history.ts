/**
 * The client's side of a topic's history: the options of
 * {@linkcode RealtimeClient.history}, what it resolves to, and the pure
 * conversion of the hub's `history` reply.
 *
 * @module
 */

import type { HistoryReplyFrame, TopicPosition } from "../protocol/frames.ts";
import type { RealtimeMessage } from "./subscription.ts";

/** Options of {@linkcode RealtimeClient.history}. */
export interface HistoryOptions {
  /**
   * Read after this position (oldest first) or before it (with `reverse`).
   * Another epoch than the topic's returns no publications.
   */
  since?: TopicPosition;
  /**
   * At most this many publications, 0 to 1000; 0 reads only the position.
   *
   * @default {100, the hub's default}
   */
  limit?: number;
  /**
   * Newest first.
   *
   * @default {false}
   */
  reverse?: boolean;
  /**
   * How long to wait for the reply.
   *
   * @default {the client's `requestTimeoutMs`}
   */
  timeoutMs?: number;
}

/** A publication read from history: a message that always has its offset. */
export interface HistoryMessage<T = unknown> extends RealtimeMessage<T> {
  /** The concrete topic. */
  readonly topic: string;
  /** Its offset in the topic's stream. */
  readonly offset: number;
}

/** What {@linkcode RealtimeClient.history} resolves to. */
export interface HistoryResult<T = unknown> {
  /** The publications, in the order asked for. */
  readonly publications: HistoryMessage<T>[];
  /** The topic's current position (its latest offset and its epoch). */
  readonly position: TopicPosition;
}

/**
 * Turns the hub's `history` reply into a {@linkcode HistoryResult}, skipping
 * entries that are not publications.
 *
 * @param frame The reply.
 * @returns The publications and the position.
 *
 * @example Read a reply
 * ```ts
 * import { historyResult } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * const result = historyResult({
 *   type: "history",
 *   topic: "chat:a",
 *   offset: 2,
 *   epoch: "e1",
 *   publications: [{ offset: 2, payload: "hi", from: "bob", ts: 5 }],
 * });
 * assert.deepEqual(result.position, { offset: 2, epoch: "e1" });
 * assert.equal(result.publications[0].payload, "hi");
 * ```
 */
export function historyResult(frame: HistoryReplyFrame): HistoryResult {
  const publications: HistoryMessage[] = [];
  const list: unknown = frame.publications;
  for (const item of Array.isArray(list) ? list : []) {
    if (typeof item !== "object" || item === null) continue;
    const { offset, payload, from, ts, event, jws } = item as Record<string, unknown>;
    if (typeof offset !== "number" || typeof ts !== "number") continue;
    const message: { -readonly [K in keyof HistoryMessage]: HistoryMessage[K] } = {
      topic: frame.topic,
      payload: payload === undefined ? null : payload,
      from: typeof from === "string" ? from : null,
      ts,
      offset,
    };
    if (typeof event === "string") message.event = event;
    // Signed publications keep their JWS, to verify (subscriberVerifier) before use.
    if (typeof jws === "string") message.jws = jws;
    publications.push(message);
  }
  return { publications, position: { offset: frame.offset, epoch: frame.epoch } };
}
