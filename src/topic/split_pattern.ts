/**
 * Pattern algebra on split patterns. A pattern is its fixed segments plus a
 * flag for a trailing `**`. Template segments (`{sub}`) are treated as opaque
 * literals, which is what lint needs; decisions expand them first.
 *
 * With `bounded`, containment and overlap are exact over *valid* topics: a
 * trailing `**` cannot add segments past 16 segments or 255 characters, and
 * two patterns whose shared topic would exceed 255 characters do not overlap.
 * Without it, `**` is treated as unbounded, which is what lint needs for
 * template patterns whose expanded length is unknown.
 *
 * @module
 */

import { LIMITS } from "./grammar.ts";

/** A split pattern: fixed segments and whether a `**` follows them. */
export interface SplitPattern {
  readonly segments: readonly string[];
  readonly tail: boolean;
}

/** Splits a valid pattern. */
export function splitPattern(pattern: string): SplitPattern {
  const segments = pattern.split(":");
  const tail = segments[segments.length - 1] === "**";
  if (tail) segments.pop();
  return { segments, tail };
}

/** Whether `pattern` matches the split concrete topic. */
export function matchSplit(pattern: SplitPattern, topic: readonly string[]): boolean {
  const fixed = pattern.segments;
  if (pattern.tail ? topic.length <= fixed.length : topic.length !== fixed.length) return false;
  for (let i = 0; i < fixed.length; i++) {
    if (fixed[i] !== "*" && fixed[i] !== topic[i]) return false;
  }
  return true;
}

/** Most segments a valid topic matched by `pattern` can have. */
export function maxTopicSegments(pattern: SplitPattern, bounded: boolean): number {
  const fixed = pattern.segments.length;
  if (!pattern.tail) return fixed;
  if (!bounded) return Infinity;
  let chars = 0;
  for (const segment of pattern.segments) chars += segment.length;
  // Each segment `**` adds costs at least 2 characters: one separator, one character.
  const byChars = Math.floor((LIMITS.maxLength - chars - fixed + 1) / 2);
  return fixed + Math.min(LIMITS.maxSegments - fixed, byChars);
}

/** Whether every topic matched by `inner` is matched by `outer`. */
export function containsSplit(outer: SplitPattern, inner: SplitPattern, bounded: boolean): boolean {
  const o = outer.segments;
  const n = inner.segments;
  const lo = n.length + (inner.tail ? 1 : 0);
  const hi = maxTopicSegments(inner, bounded);
  if (hi < lo) return true; // inner matches no valid topic
  if (outer.tail ? lo <= o.length : lo !== o.length || hi !== o.length) return false;
  for (let i = 0; i < n.length; i++) {
    if (i < o.length && o[i] !== "*" && o[i] !== n[i]) return false;
  }
  // Where inner's `**` stands, outer must accept any segment.
  const end = Math.min(hi, o.length);
  for (let i = n.length; i < end; i++) if (o[i] !== "*") return false;
  return true;
}

/** Whether some topic is matched by both `a` and `b`. */
export function overlapSplit(a: SplitPattern, b: SplitPattern, bounded: boolean): boolean {
  const x = a.segments;
  const y = b.segments;
  // The shortest common length is the cheapest witness: longer ones only add `**` segments.
  let length: number;
  if (!a.tail && !b.tail) {
    if (x.length !== y.length) return false;
    length = x.length;
  } else if (!b.tail) {
    if (y.length <= x.length) return false;
    length = y.length;
  } else if (!a.tail) {
    if (x.length <= y.length) return false;
    length = x.length;
  } else {
    length = Math.max(x.length, y.length) + 1;
  }
  if (bounded && length > LIMITS.maxSegments) return false;
  let chars = length - 1;
  for (let i = 0; i < length; i++) {
    const s = i < x.length ? x[i] : "*";
    const t = i < y.length ? y[i] : "*";
    if (s === "*") chars += t.length;
    else if (t === "*" || t === s) chars += s.length;
    else return false;
  }
  return !bounded || chars <= LIMITS.maxLength;
}
