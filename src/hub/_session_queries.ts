/**
 * A session's read requests (`history`, `presence`, `presence_stats`) as
 * pure parts: the engine query a frame asks for, the replies built from the
 * engine's answers, and how a failed read is answered. The session checks
 * the ACL and sends; these decide what.
 *
 * @module
 */

import type { HistoryFrame, PresenceClient, RequestId, ServerFrame } from "../protocol/frames.ts";
import type { HistoryQuery, HistoryResult, PresenceEntry } from "../engine/engine.ts";
import { EngineError } from "../engine/errors.ts";
import { historyPublication } from "./history_publication.ts";

/** The engine query of a `history` frame: 100 publications, oldest first, unless it says. */
export function historyQuery(frame: HistoryFrame): HistoryQuery {
  return frame.since === undefined
    ? { limit: frame.limit ?? 100, reverse: frame.reverse ?? false }
    : { limit: frame.limit ?? 100, reverse: frame.reverse ?? false, since: frame.since };
}

/** The `history` reply to the engine's answer. */
export function historyReply(
  id: RequestId | undefined,
  topic: string,
  result: HistoryResult,
): ServerFrame {
  return {
    type: "history",
    id,
    topic,
    publications: result.publications.map(historyPublication),
    offset: result.position.offset,
    epoch: result.position.epoch,
  };
}

/** A presence entry as the client sees it: `info` only when there is some. */
export function presenceClient(entry: PresenceEntry): PresenceClient {
  const client: PresenceClient = { user: entry.user, connectionId: entry.connection };
  if (entry.info !== undefined) client.info = entry.info;
  return client;
}

/**
 * How a failed read is answered: `no_history` (the client's `NO_HISTORY`),
 * `engine` (the engine's failure: `INTERNAL`, retryable) or `bug`
 * (anything else: logged with its detail, answered with a generic `INTERNAL`).
 */
export function queryFailure(error: unknown): "no_history" | "engine" | "bug" {
  if (!(error instanceof EngineError)) return "bug";
  return error.code === "NO_HISTORY" ? "no_history" : "engine";
}
