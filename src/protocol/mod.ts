/**
 * The wire protocol, for clients in other languages and tools: error and
 * close codes, subprotocols, frame types, the parser and encoder, and the
 * topic and pattern grammar. `docs/protocol.md` is its specification.
 *
 * @example Parse a client frame
 * ```ts
 * import { DEFAULT_FRAME_LIMITS, parseClientFrame } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * const parsed = parseClientFrame('{"type":"ping","id":1}', DEFAULT_FRAME_LIMITS);
 * assert.equal(parsed.ok, true);
 * ```
 *
 * @module
 */

export * from "./codes.ts";
export * from "./retryable.ts";
export * from "./errors.ts";
export * from "./auth_failures.ts";
export * from "./subprotocols.ts";
export type * from "./frames.ts";
export * from "./parse.ts";
export * from "./encode.ts";
export * from "./idempotency_key.ts";
export * from "./stomp/frame.ts";
export * from "./stomp/destination.ts";
export * from "../topic/topic.ts";
export * from "../topic/pattern.ts";
