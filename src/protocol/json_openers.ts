/**
 * A cheap bound on a JSON text's nesting, shared by protocol v1's frame
 * parser and the STOMP door's body check: a text with at most `bound`
 * opening characters cannot nest deeper than `bound`, so the exact depth walk
 * is needed only above it.
 *
 * @module
 */

/**
 * Whether `text` holds more than `bound` of the characters that open a JSON
 * level, `{` and `[` (inside strings too: an over-count only costs the exact
 * walk).
 *
 * @param text The JSON text.
 * @param bound The most openers allowed.
 * @returns `true` when there are more than `bound`.
 *
 * @example Three openers against a bound of two
 * ```ts
 * import assert from "node:assert/strict";
 * import { openersExceed } from "./json_openers.ts";
 *
 * assert.equal(openersExceed('{"a":[{}]}', 2), true);
 * assert.equal(openersExceed('{"a":[{}]}', 3), false);
 * ```
 */
export function openersExceed(text: string, bound: number): boolean {
  let count = 0;
  for (let at = text.indexOf("{"); at >= 0; at = text.indexOf("{", at + 1)) {
    if (++count > bound) return true;
  }
  for (let at = text.indexOf("["); at >= 0; at = text.indexOf("[", at + 1)) {
    if (++count > bound) return true;
  }
  return false;
}
