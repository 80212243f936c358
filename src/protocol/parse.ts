/**
 * Validation of untrusted client frames: size, JSON, nesting depth, shape.
 *
 * @module
 */

import { validatePattern, validateTopic } from "../topic/topic.ts";
import type { ErrorCode } from "./codes.ts";
import type { ClientFrame, HistoryFrame, RequestId, TopicPosition } from "./frames.ts";

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

/** The outcome of {@linkcode parseClientFrame}. */
export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; message: string; id?: RequestId };

const MAX_ID_LENGTH = 64;
/** A compact JWS's alphabet; its length is bounded by the frame's. ASCII, so length is bytes. */
const JWS_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The largest `limit` a `history` request may ask for. */
export const MAX_HISTORY_LIMIT = 1000;

/** The `limit` of a `history` request that gives none. */
export const DEFAULT_HISTORY_LIMIT = 100;

/** The longest epoch a `since` may carry, in characters. */
export const MAX_EPOCH_LENGTH = 64;

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
  const raw = value as Record<string, unknown>;
  const idProblem = checkId(raw.id);
  if (idProblem !== undefined) return bad(idProblem);
  const id = raw.id as RequestId | undefined;
  // Each level of nesting takes two characters at least ({} or []): a
  // shorter text cannot be too deep, and most frames are that short.
  if (data.length > 2 * limits.maxDepth && exceedsDepth(raw, limits.maxDepth)) {
    return bad(`Frame is nested deeper than ${limits.maxDepth} levels`, id);
  }
  const type = raw.type;
  if (typeof type !== "string") return bad("Frame has no string 'type'", id);
  // Frames are built with literals, `id` only when present: this runs once
  // per received frame.
  switch (type) {
    case "subscribe":
    case "unsubscribe": {
      const topic = raw.topic;
      if (typeof topic !== "string") return bad(`'${type}' needs a string 'topic'`, id);
      const problem = validatePattern(topic);
      if (problem !== undefined) return bad(problem, id);
      if (type === "unsubscribe" || (raw.since === undefined && raw.presence === undefined)) {
        return ok(id === undefined ? { type, topic } : { type, id, topic });
      }
      return parseSubscribeExtras(raw, topic, id);
    }
    case "history":
    case "presence":
    case "presence_stats": {
      const topic = raw.topic;
      if (typeof topic !== "string") return bad(`'${type}' needs a string 'topic'`, id);
      const problem = concreteTopicProblem(type, topic);
      if (problem !== undefined) return bad(problem, id);
      if (type === "history") return parseHistory(raw, topic, id);
      return ok(id === undefined ? { type, topic } : { type, id, topic });
    }
    case "publish": {
      const topic = raw.topic;
      if (typeof topic !== "string") return bad("'publish' needs a string 'topic'", id);
      const problem = validateTopic(topic);
      if (problem !== undefined) return bad(problem, id);
      const jws = raw.jws;
      if (jws !== undefined) {
        if (raw.payload !== undefined) {
          return bad(
            "'publish' takes 'payload' or 'jws', not both: the payload is inside the JWS",
            id,
          );
        }
        if (typeof jws !== "string" || !JWS_RE.test(jws)) {
          return bad(
            "'publish' needs 'jws' to be a compact JWS: base64url parts joined by '.'",
            id,
          );
        }
        const payload = null;
        return ok(
          id === undefined ? { type, topic, payload, jws } : { type, id, topic, payload, jws },
        );
      }
      const payload = raw.payload === undefined ? null : raw.payload;
      return ok(id === undefined ? { type, topic, payload } : { type, id, topic, payload });
    }
    case "auth": {
      const token = raw.token;
      if (typeof token !== "string" || token.length === 0) {
        return bad("'auth' needs a non-empty string 'token'", id);
      }
      return ok(id === undefined ? { type, token } : { type, id, token });
    }
    case "ping":
      return ok(id === undefined ? { type } : { type, id });
    default:
      return bad(`Unknown frame type '${truncate(type)}'`, id);
  }
}

/** A subscribe with `since` and/or `presence`, both for concrete topics only. */
function parseSubscribeExtras(
  raw: Record<string, unknown>,
  topic: string,
  id: RequestId | undefined,
): ParseResult {
  const frame: ClientFrame = id === undefined
    ? { type: "subscribe", topic }
    : { type: "subscribe", id, topic };
  if (raw.since !== undefined) {
    if (validateTopic(topic) !== undefined) {
      return bad(
        `Cannot recover '${topic}' with 'since': recovery needs a concrete topic, not a pattern`,
        id,
      );
    }
    const since = parseSince(raw.since, "subscribe");
    if (typeof since === "string") return bad(since, id);
    frame.since = since;
  }
  if (raw.presence !== undefined) {
    if (typeof raw.presence !== "boolean") {
      return bad(
        `'subscribe' field 'presence' must be a boolean, got ${describe(raw.presence)}`,
        id,
      );
    }
    if (raw.presence && validateTopic(topic) !== undefined) {
      return bad(
        `Cannot follow presence of '${topic}': presence needs a concrete topic, not a pattern`,
        id,
      );
    }
    if (raw.presence) frame.presence = true;
  }
  return ok(frame);
}

function parseHistory(
  raw: Record<string, unknown>,
  topic: string,
  id: RequestId | undefined,
): ParseResult {
  const frame: HistoryFrame = id === undefined
    ? { type: "history", topic }
    : { type: "history", id, topic };
  if (raw.since !== undefined) {
    const since = parseSince(raw.since, "history");
    if (typeof since === "string") return bad(since, id);
    frame.since = since;
  }
  const limit = raw.limit;
  if (limit !== undefined) {
    if (
      typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 ||
      limit > MAX_HISTORY_LIMIT
    ) {
      return bad(
        `'history' field 'limit' must be an integer from 0 to ${MAX_HISTORY_LIMIT}, got ${
          typeof limit === "number" ? limit : describe(limit)
        }`,
        id,
      );
    }
    frame.limit = limit;
  }
  const reverse = raw.reverse;
  if (reverse !== undefined) {
    if (typeof reverse !== "boolean") {
      return bad(`'history' field 'reverse' must be a boolean, got ${describe(reverse)}`, id);
    }
    if (reverse) frame.reverse = true;
  }
  return ok(frame);
}

/** A position, or what is wrong with it. */
function parseSince(value: unknown, type: string): TopicPosition | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `'${type}' field 'since' must be an object {offset, epoch}, got ${describe(value)}`;
  }
  const { offset, epoch } = value as Record<string, unknown>;
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    return `'${type}' field 'since.offset' must be a non-negative safe integer, got ${
      typeof offset === "number" ? offset : describe(offset)
    }`;
  }
  if (typeof epoch !== "string" || epoch.length === 0 || epoch.length > MAX_EPOCH_LENGTH) {
    return `'${type}' field 'since.epoch' must be a string of 1 to ${MAX_EPOCH_LENGTH} characters, got ${
      typeof epoch === "string" ? `${epoch.length} characters` : describe(epoch)
    }`;
  }
  return { offset, epoch };
}

/** Why a topic is not a concrete topic for a request that needs one. */
function concreteTopicProblem(type: string, topic: string): string | undefined {
  const problem = validateTopic(topic);
  if (problem === undefined) return undefined;
  return validatePattern(topic) === undefined
    ? `'${type}' needs a concrete topic, got the pattern '${truncate(topic)}'`
    : problem;
}

function ok(frame: ClientFrame): ParseResult {
  return { ok: true, frame };
}

function bad(message: string, id?: RequestId): ParseResult {
  return id === undefined
    ? { ok: false, code: "BAD_REQUEST", message }
    : { ok: false, code: "BAD_REQUEST", message, id };
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

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

function truncate(text: string): string {
  return text.length > 32 ? `${text.slice(0, 32)}...` : text;
}
