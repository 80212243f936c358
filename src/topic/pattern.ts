/**
 * Matching topics against patterns, and comparing patterns: containment (for
 * pattern subscriptions) and overlap (for deny rules).
 *
 * `*` matches exactly one segment; `**`, only as the last segment, matches one
 * or more further segments, so `**` alone matches every topic. All functions
 * expect input already checked by {@linkcode validatePattern} and
 * {@linkcode validateTopic}.
 *
 * @module
 */

import { containsSplit, matchSplit, overlapSplit, splitPattern } from "./split_pattern.ts";

/**
 * Whether a valid pattern matches a valid concrete topic.
 *
 * @param pattern The pattern, such as `chat:*` or `org:acme:**`.
 * @param topic The concrete topic.
 * @returns `true` when the topic is one of the pattern's topics.
 *
 * @example Match topics
 * ```ts
 * import { matchPattern } from "@realtime/hub/protocol";
 *
 * matchPattern("chat:*", "chat:lobby"); // true
 * matchPattern("chat:*", "chat:lobby:1"); // false
 * matchPattern("chat:**", "chat:lobby:1"); // true
 * matchPattern("chat:**", "chat"); // false: `**` needs at least one segment
 * ```
 */
export function matchPattern(pattern: string, topic: string): boolean {
  return matchSplit(splitPattern(pattern), topic.split(":"));
}

/**
 * Whether every valid topic matched by `inner` is also matched by `outer`:
 * set containment, not string prefix. Exact over valid topics, so it accounts
 * for the 16-segment and 255-character limits on what a `**` can match.
 *
 * @param outer The wider pattern, such as a rule or capability pattern.
 * @param inner The narrower pattern, such as a subscription pattern.
 * @returns `true` when `inner`'s topics are a subset of `outer`'s.
 *
 * @example Check a pattern subscription against a grant
 * ```ts
 * import { patternContains } from "@realtime/hub/protocol";
 *
 * patternContains("chat:**", "chat:*"); // true
 * patternContains("chat:*", "chat:**"); // false: chat:a:b is not in chat:*
 * patternContains("chat:*", "chat:lobby"); // true
 * patternContains("*:lobby", "chat:*"); // false
 * ```
 */
export function patternContains(outer: string, inner: string): boolean {
  return containsSplit(splitPattern(outer), splitPattern(inner), true);
}

/**
 * Whether some valid topic is matched by both patterns.
 *
 * @param a One pattern.
 * @param b The other pattern.
 * @returns `true` when the patterns share at least one valid topic.
 *
 * @example Find whether a deny rule touches a subscription
 * ```ts
 * import { patternsOverlap } from "@realtime/hub/protocol";
 *
 * patternsOverlap("chat:*", "*:lobby"); // true: chat:lobby
 * patternsOverlap("chat:*", "chat:*:*"); // false
 * patternsOverlap("admin:**", "**"); // true
 * ```
 */
export function patternsOverlap(a: string, b: string): boolean {
  return overlapSplit(splitPattern(a), splitPattern(b), true);
}
