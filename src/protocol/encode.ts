/**
 * Serialization of server frames. A publication is serialized once per
 * fan-out, never once per subscriber.
 *
 * @module
 */

import type { ErrorCode } from "./codes.ts";
import { RETRYABLE } from "./retryable.ts";
import type { ErrorFrame, MessageFrame, RequestId, ServerFrame } from "./frames.ts";

/**
 * Serializes a server frame.
 *
 * @param frame The frame.
 * @returns Its JSON text.
 *
 * @example Encode a pong
 * ```ts
 * import { encodeFrame } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeFrame({ type: "pong", id: 7 }), '{"type":"pong","id":7}');
 * ```
 */
export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/**
 * Serializes a plain `ack`, the commonest frame after `message`, without
 * building an object first.
 *
 * @param id The request id to echo, if the request had one.
 * @returns Its JSON text, the same as `encodeFrame({ type: "ack", id })`.
 *
 * @example Encode acks
 * ```ts
 * import { encodeAck, encodeFrame } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeAck(7), '{"type":"ack","id":7}');
 * assert.equal(encodeAck("a\"b"), encodeFrame({ type: "ack", id: 'a"b' }));
 * assert.equal(encodeAck(), '{"type":"ack"}');
 * ```
 */
export function encodeAck(id?: RequestId): string {
  return id === undefined ? '{"type":"ack"}' : `{"type":"ack","id":${JSON.stringify(id)}}`;
}

/**
 * Serializes a `message` frame. Field order is fixed so the same publication
 * always yields the same bytes.
 *
 * @param message The message fields.
 * @returns Its JSON text.
 *
 * @example Encode a message
 * ```ts
 * import { encodeMessage } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * const text = encodeMessage({ type: "message", topic: "chat:lobby", payload: "hi", from: "alice", ts: 1 });
 * assert.equal(JSON.parse(text).payload, "hi");
 * ```
 *
 * @example Encode a signed publication: the payload and the exact JWS it came from
 * ```ts
 * import { encodeMessage } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * const jws = "eyJhbGciOiJIUzI1NiJ9.eyJ0b3BpYyI6ImE6YiIsImRhdGEiOjF9.c2ln";
 * const text = encodeMessage({ topic: "a:b", payload: 1, jws, from: "svc", ts: 1 });
 * assert.equal(text, `{"type":"message","topic":"a:b","payload":1,"jws":"${jws}","from":"svc","ts":1}`);
 * ```
 */
export function encodeMessage(
  message: Omit<MessageFrame, "type"> & { type?: "message" },
): string {
  // Written as a template rather than stringifying a fresh object: this
  // runs once per publication. Each value still goes through JSON.stringify,
  // and a payload JSON.stringify leaves out (undefined, a function) is left
  // out here too, as it would be from an object.
  const payload = JSON.stringify(message.payload);
  const event = message.event === undefined ? "" : `,"event":${JSON.stringify(message.event)}`;
  const jws = message.jws === undefined ? "" : `,"jws":${JSON.stringify(message.jws)}`;
  return `{"type":"message","topic":${JSON.stringify(message.topic)}${
    payload === undefined ? "" : `,"payload":${payload}`
  }${jws},"from":${JSON.stringify(message.from)},"ts":${JSON.stringify(message.ts)}${event}${
    message.offset === undefined ? "" : `,"offset":${message.offset}`
  }}`;
}

/**
 * Builds an `error` frame, with `retry` taken from the code.
 *
 * @param code The error code.
 * @param message What went wrong, safe to show the client.
 * @param id The id of the request that failed, if it had a valid one.
 * @returns The frame.
 *
 * @example Build an error frame
 * ```ts
 * import { errorFrame } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(errorFrame("RATE_LIMITED", "Slow down").retry, true);
 * ```
 */
export function errorFrame(code: ErrorCode, message: string, id?: RequestId): ErrorFrame {
  const frame: ErrorFrame = { type: "error", code, message, retry: RETRYABLE[code] };
  if (id !== undefined) frame.id = id;
  return frame;
}
