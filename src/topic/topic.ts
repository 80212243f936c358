/**
 * The topic grammar: `:`-separated segments such as `chat:lobby` or `user:42`.
 *
 * @module
 */

import { grammarProblem, LIMITS, TOPIC_RE } from "./grammar.ts";
import { quote } from "./quote.ts";

/**
 * The limits every topic and pattern obeys: at most 16 segments of 1 to 64
 * characters each, and at most 255 characters in total.
 *
 * @example Reject an over-long topic before sending it
 * ```ts
 * import { TOPIC_LIMITS } from "@realtime/hub/protocol";
 *
 * const topic = "chat:lobby";
 * const fits = topic.length <= TOPIC_LIMITS.maxLength; // true
 * ```
 */
export const TOPIC_LIMITS: {
  /** Most segments a topic or pattern may have. @default {16} */
  readonly maxSegments: 16;
  /** Most characters in one segment. @default {64} */
  readonly maxSegmentLength: 64;
  /** Most characters in a whole topic or pattern. @default {255} */
  readonly maxLength: 255;
} = Object.freeze({ ...LIMITS });

const WILDCARD_SEGMENT_RE = /(?:^|:)\*\*?(?::|$)/;

/**
 * Checks a concrete topic: segments separated by `:`, each 1 to 64
 * characters of `A-Z a-z 0-9 _ - . @ + = ~`, at most 16 segments and 255
 * characters. Wildcards are not allowed.
 *
 * @param topic The topic to check.
 * @returns An error message saying what is wrong and the value seen, or
 * `undefined` when the topic is valid.
 *
 * @example Validate topics from a client
 * ```ts
 * import { validateTopic } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(validateTopic("chat:lobby"), undefined);
 * assert.equal(validateTopic("chat::lobby"), "Invalid topic 'chat::lobby': segment 2 is empty");
 * ```
 */
export function validateTopic(topic: string): string | undefined {
  if (typeof topic !== "string") return `Invalid topic: expected a string, got ${typeof topic}`;
  if (topic.length <= LIMITS.maxLength && TOPIC_RE.test(topic)) return undefined;
  const problem = grammarProblem(topic, { wildcards: false, templates: false });
  return problem === undefined ? undefined : `Invalid topic ${quote(topic)}: ${problem}`;
}

/**
 * Checks a pattern: a topic whose segments may also be `*` (exactly one
 * segment) or, as the last segment only, `**` (one or more segments).
 * Wildcards must be whole segments. A concrete topic is a valid pattern.
 *
 * @param pattern The pattern to check.
 * @returns An error message, or `undefined` when the pattern is valid.
 *
 * @example Validate a subscription pattern
 * ```ts
 * import { validatePattern } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(validatePattern("chat:*"), undefined);
 * assert.equal(validatePattern("org:acme:**"), undefined);
 * assert.equal(
 *   validatePattern("ch*"),
 *   "Invalid pattern 'ch*': segment 1 'ch*' contains '*': a wildcard must be a whole segment",
 * );
 * ```
 */
export function validatePattern(pattern: string): string | undefined {
  if (typeof pattern !== "string") {
    return `Invalid pattern: expected a string, got ${typeof pattern}`;
  }
  // A concrete topic is a valid pattern: one regex test, as in validateTopic.
  if (pattern.length <= LIMITS.maxLength && TOPIC_RE.test(pattern)) return undefined;
  const problem = grammarProblem(pattern, { wildcards: true, templates: false });
  return problem === undefined ? undefined : `Invalid pattern ${quote(pattern)}: ${problem}`;
}

/**
 * Whether a topic string contains a wildcard segment (`*` or `**`), that is,
 * whether it names a set of topics rather than one. It does not validate.
 *
 * @param topic The topic or pattern.
 * @returns `true` when some segment is exactly `*` or `**`.
 *
 * @example Tell a pattern subscription from a concrete one
 * ```ts
 * import { isPattern } from "@realtime/hub/protocol";
 *
 * isPattern("chat:*"); // true
 * isPattern("chat:lobby"); // false
 * isPattern("ch*"); // false: not a wildcard segment (and not valid either)
 * ```
 */
export function isPattern(topic: string): boolean {
  return WILDCARD_SEGMENT_RE.test(topic);
}
