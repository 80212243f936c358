/**
 * The one wire form of a publication read back from history: what the
 * WebSocket `history` reply and the admin API's history route both send.
 *
 * @module
 */

import type { HistoryEntry } from "../engine/engine.ts";
import type { HistoryPublication } from "../protocol/frames.ts";

/**
 * Turns a stored publication into its wire form: the payload parsed from
 * the stored JSON text, `event` when it is a server-pushed event, and `jws`
 * (the compact JWS exactly as published) when it was signed, so a reader can
 * verify it without trusting the hub.
 *
 * @param entry A publication as the engine returns it from history.
 * @returns The publication as `history` replies carry it.
 *
 * @example A signed publication keeps its JWS
 * ```ts
 * import { historyPublication } from "./history_publication.ts";
 * import assert from "node:assert/strict";
 *
 * const wire = historyPublication({
 *   offset: 7,
 *   publication: { data: '{"celsius":21}', from: "sensor", ts: 1, extra: "h.p.s" },
 * });
 * assert.deepEqual(wire, {
 *   offset: 7,
 *   payload: { celsius: 21 },
 *   from: "sensor",
 *   ts: 1,
 *   jws: "h.p.s",
 * });
 * ```
 */
export function historyPublication(entry: HistoryEntry): HistoryPublication {
  const p = entry.publication;
  const out: HistoryPublication = {
    offset: entry.offset,
    payload: JSON.parse(p.data),
    from: p.from,
    ts: p.ts,
  };
  if (p.event !== undefined) out.event = p.event;
  if (p.extra !== undefined) out.jws = p.extra;
  return out;
}
