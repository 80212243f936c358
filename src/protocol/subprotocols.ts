/**
 * The WebSocket subprotocols of the wire protocol (docs/protocol.md).
 *
 * @module
 */

/** Protocol v1: one JSON frame per WebSocket message. */
export const SUBPROTOCOL_V1 = "realtime.v1";

/**
 * Protocol v1 with batching: the server may pack several frames into one
 * WebSocket message, separated by `"\n"` (JSON never contains a raw newline).
 * Client-to-server messages stay one frame each. Clients that offer it must
 * split every message they receive on `"\n"`.
 *
 * @example Read a batched message
 * ```ts
 * import { splitBatch, SUBPROTOCOL_V1_BATCH } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * const protocols = [SUBPROTOCOL_V1_BATCH, "realtime.v1"]; // offered by the client
 * const message = '{"type":"ack","id":1}\n{"type":"ack","id":2}';
 * const frames = splitBatch(message).map((line) => JSON.parse(line));
 * assert.equal(frames.length, 2);
 * assert.equal(protocols[0], "realtime.v1.batch");
 * ```
 */
export const SUBPROTOCOL_V1_BATCH = "realtime.v1.batch";

/**
 * Splits a message received under {@linkcode SUBPROTOCOL_V1_BATCH} into its
 * frames' texts (a message without `"\n"` is one frame).
 *
 * @param text The WebSocket message.
 * @returns The frames' texts, empty lines dropped.
 *
 * @example Split a batch
 * ```ts
 * import { splitBatch } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitBatch('{"a":1}\n{"b":2}'), ['{"a":1}', '{"b":2}']);
 * assert.deepEqual(splitBatch('{"a":1}'), ['{"a":1}']);
 * ```
 */
export function splitBatch(text: string): string[] {
  if (!text.includes("\n")) return [text];
  return text.split("\n").filter((line) => line.length > 0);
}

/**
 * The STOMP versions the hub speaks over WebSocket, by subprotocol (see
 * `docs/stomp.md`): a client offering one of these talks STOMP frames, not
 * protocol v1.
 *
 * @example Tell a STOMP subprotocol
 * ```ts
 * import { STOMP_SUBPROTOCOLS } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(STOMP_SUBPROTOCOLS["v12.stomp"], "1.2");
 * assert.equal(STOMP_SUBPROTOCOLS["realtime.v1"], undefined);
 * ```
 */
export const STOMP_SUBPROTOCOLS: Readonly<Record<string, "1.0" | "1.1" | "1.2" | undefined>> =
  // No prototype: a subprotocol named `constructor` is no version. Marked
  // pure so a bundle that never reads it (the browser client) drops it.
  /* @__PURE__ */ Object.freeze(/* @__PURE__ */ Object.assign(/* @__PURE__ */ Object.create(null), {
    "v12.stomp": "1.2",
    "v11.stomp": "1.1",
    "v10.stomp": "1.0",
  }));
