/**
 * Reading verified claims by dotted path, and turning claim values into topic
 * segments without ever widening a pattern.
 *
 * @module
 */

import { SEGMENT_RE } from "../topic/grammar.ts";

/** Reads `path` from `claims` through own properties only, or `undefined`. */
export function readClaim(claims: unknown, path: readonly string[]): unknown {
  let value = claims;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * The claim value as one topic segment, or `undefined` when it is missing or
 * would not be exactly one valid segment (so `a:*`, `**`, `""` and objects
 * never widen a pattern). Finite numbers are stringified.
 */
export function claimSegment(value: unknown): string | undefined {
  const text = typeof value === "string"
    ? value
    : typeof value === "number" && Number.isFinite(value)
    ? String(value)
    : undefined;
  return text !== undefined && SEGMENT_RE.test(text) ? text : undefined;
}
