/**
 * Validation of untrusted client frames: size, JSON, nesting depth, shape.
 *
 * @module
 */

import type { RequestId } from "./frames.ts";
import { bad, describe, type ParseResult, truncate } from "./_fields.ts";
import { requestOf } from "./requests.ts";
import { openersExceed } from "./json_openers.ts";

export type { ParseResult } from "./_fields.ts";
export { DEFAULT_HISTORY_LIMIT, MAX_EPOCH_LENGTH, MAX_HISTORY_LIMIT } from "./_fields.ts";

/** Bounds applied to every incoming frame. */
export interface FrameLimits {
  /**
   * Largest accepted frame, in UTF-8 bytes.
   *
   * @default {65536}
   */
  maxFrameBytes: number;
  /**
   * Deepest accepted JSON nesting (the frame object itself is depth 1).
   *
   * @default {32}
   */
  maxDepth: number;
}

/** The default {@linkcode FrameLimits}. */
export const DEFAULT_FRAME_LIMITS: Readonly<FrameLimits> = {
  maxFrameBytes: 64 * 1024,
  maxDepth: 32,
};

const MAX_ID_LENGTH = 64;

/**
 * Parses and validates one frame received from a client. Never throws: every
 * problem becomes an error result with a stable code and a message naming
 * what was wrong. Checks run in a fixed order: type of data, size, JSON,
 * shape, id, depth, fields.
 *
 * @param data The received data (text or binary).
 * @param limits Size and depth bounds.
 * @returns The frame, or the error to send back.
 *
 * @example Parse a subscribe frame
 * ```ts
 * import { DEFAULT_FRAME_LIMITS, parseClientFrame } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * const result = parseClientFrame('{"type":"subscribe","id":1,"topic":"chat:lobby"}', DEFAULT_FRAME_LIMITS);
 * assert.deepEqual(result, { ok: true, frame: { type: "subscribe", id: 1, topic: "chat:lobby" } });
 * ```
 */
export function parseClientFrame(data: unknown, limits: FrameLimits): ParseResult {
  if (typeof data !== "string") {
    return bad("Binary frames are not supported: send JSON text");
  }
  if (utf8Length(data, limits.maxFrameBytes) > limits.maxFrameBytes) {
    const message = `Frame is larger than ${limits.maxFrameBytes} bytes`;
    const id = leadingId(data);
    return id === undefined
      ? { ok: false, code: "TOO_LARGE", message }
      : { ok: false, code: "TOO_LARGE", message, id };
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return bad("Frame is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return bad(`Frame must be a JSON object, got ${describe(value)}`);
  }
  // Each level of nesting opens with a '{' or a '[': a text with no more of
  // them than the limit cannot be too deep, and most frames are that flat
  // (counting with indexOf is cheaper than walking the parsed value). Such a
  // text is passed on as one too short to be deep, so it is not walked.
  const deep = data.length > 2 * limits.maxDepth && openersExceed(data, limits.maxDepth);
  return parseClientRequest(value as Record<string, unknown>, limits, deep ? data.length : 0);
}

/**
 * Validates a request another door already decoded from its own syntax (a
 * STOMP frame) into a protocol v1 frame's fields, with the checks
 * {@linkcode parseClientFrame} runs after the JSON: id, nesting depth, type,
 * fields.
 *
 * @param raw The frame's fields, as `JSON.parse` would give them.
 * @param limits The depth bound (the size was checked by the door).
 * @param chars The length of the text it came from: shorter than twice
 * `maxDepth`, it cannot be too deep and is not walked.
 * @returns The frame, or the error to send back.
 *
 * @example Validate a publish a STOMP SEND became
 * ```ts
 * import { DEFAULT_FRAME_LIMITS, parseClientRequest } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * const raw = { type: "publish", topic: "chat:lobby", payload: { text: "hi" } };
 * assert.equal(parseClientRequest(raw, DEFAULT_FRAME_LIMITS, 20).ok, true);
 * assert.equal(parseClientRequest({ ...raw, topic: "chat:*" }, DEFAULT_FRAME_LIMITS, 20).ok, false);
 * ```
 */
export function parseClientRequest(
  raw: Record<string, unknown>,
  limits: FrameLimits,
  chars: number,
): ParseResult {
  const idProblem = checkId(raw.id);
  if (idProblem !== undefined) return bad(idProblem);
  const id = raw.id as RequestId | undefined;
  // Each level of nesting takes two characters at least ({} or []): a
  // shorter text cannot be too deep, and most frames are that short.
  if (chars > 2 * limits.maxDepth && exceedsDepth(raw, limits.maxDepth)) {
    return bad(`Frame is nested deeper than ${limits.maxDepth} levels`, id);
  }
  const type = raw.type;
  if (typeof type !== "string") return bad("Frame has no string 'type'", id);
  const request = requestOf(type);
  if (request === undefined) return bad(`Unknown frame type '${truncate(type)}'`, id);
  return request.parse(raw, id);
}

/** Why a frame's `id` is not acceptable, or undefined when it is (or is absent). */
function checkId(id: unknown): string | undefined {
  if (id === undefined) return undefined;
  if (typeof id === "string") {
    return id.length === 0 || id.length > MAX_ID_LENGTH
      ? `Frame 'id' must be 1 to ${MAX_ID_LENGTH} characters, got ${id.length}`
      : undefined;
  }
  if (typeof id === "number" && Number.isSafeInteger(id)) return undefined;
  return `Frame 'id' must be a string or an integer, got ${describe(id)}`;
}

/**
 * An `id` among the first top-level fields of an oversize frame, which is
 * not parsed: clients write `{"type":..,"id":..,...}`, so the reply can still
 * name the request. Reads a bounded prefix; `undefined` when not found there.
 */
function leadingId(data: string): RequestId | undefined {
  const match = LEADING_ID.exec(data.slice(0, 512));
  if (match === null) return undefined;
  let id: unknown;
  try {
    id = JSON.parse(match[1]);
  } catch {
    return undefined;
  }
  return checkId(id) === undefined ? id as RequestId : undefined;
}

/** `{`, up to four string-valued fields, then `"id":` and an integer or a short string. */
const LEADING_ID =
  /^\s*\{\s*(?:"[a-z]{1,16}"\s*:\s*"(?:[^"\\]|\\.){0,256}"\s*,\s*){0,4}"id"\s*:\s*(-?\d{1,16}|"(?:[^"\\]|\\.){1,64}")\s*[,}]/;

/** UTF-8 byte length, stopping early once past `bound`. */
function utf8Length(text: string, bound: number): number {
  // Fast path: every UTF-16 unit is at most 3 UTF-8 bytes.
  if (text.length * 3 <= bound) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= bound; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Up to this limit the depth check recurses (at most this deep); above it, an explicit stack. */
const RECURSION_LIMIT = 256;

/** Whether any value inside `root` (depth 1) is nested deeper than `maxDepth`. */
function exceedsDepth(root: object, maxDepth: number): boolean {
  return maxDepth <= RECURSION_LIMIT
    ? deeperThan(root, 1, maxDepth)
    : exceedsDepthIteratively(root, maxDepth);
}

/** The common case: no allocation, recursion bounded by `maxDepth`. */
function deeperThan(value: object, depth: number, maxDepth: number): boolean {
  if (depth > maxDepth) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === "object" && item !== null && deeperThan(item, depth + 1, maxDepth)) {
        return true;
      }
    }
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === "object" && item !== null && deeperThan(item, depth + 1, maxDepth)) {
      return true;
    }
  }
  return false;
}

/** With an explicit stack, so a huge configured `maxDepth` cannot overflow ours. */
function exceedsDepthIteratively(root: object, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > maxDepth) return true;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (typeof item === "object" && item !== null) stack.push([item, depth + 1]);
      }
    } else {
      for (const key in value as Record<string, unknown>) {
        const item = (value as Record<string, unknown>)[key];
        if (typeof item === "object" && item !== null) stack.push([item, depth + 1]);
      }
    }
  }
  return false;
}
