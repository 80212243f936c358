/**
 * Field checks shared by the request table and the frame parser: results,
 * positions, topics, descriptions of a value seen. Internal.
 *
 * @module
 */

import { validatePattern, validateTopic } from "../topic/topic.ts";
import type { ErrorCode } from "./codes.ts";
import type { ClientFrame, RequestId, TopicPosition } from "./frames.ts";

/** The outcome of `parseClientFrame`. */
export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; message: string; id?: RequestId };

/** A compact JWS's alphabet; its length is bounded by the frame's. ASCII, so length is bytes. */
export const JWS_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The largest `limit` a `history` request may ask for. */
export const MAX_HISTORY_LIMIT = 1000;

/** The `limit` of a `history` request that gives none. */
export const DEFAULT_HISTORY_LIMIT = 100;

/** The longest epoch a `since` may carry, in characters. */
export const MAX_EPOCH_LENGTH = 64;

/** A position, or what is wrong with it. */
export function parseSince(value: unknown, type: string): TopicPosition | string {
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
export function concreteTopicProblem(type: string, topic: string): string | undefined {
  const problem = validateTopic(topic);
  if (problem === undefined) return undefined;
  return validatePattern(topic) === undefined
    ? `'${type}' needs a concrete topic, got the pattern '${truncate(topic)}'`
    : problem;
}

export function ok(frame: ClientFrame): ParseResult {
  return { ok: true, frame };
}

export function bad(message: string, id?: RequestId): ParseResult {
  return id === undefined
    ? { ok: false, code: "BAD_REQUEST", message }
    : { ok: false, code: "BAD_REQUEST", message, id };
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

export function truncate(text: string): string {
  return text.length > 32 ? `${text.slice(0, 32)}...` : text;
}
