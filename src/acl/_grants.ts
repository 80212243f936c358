/**
 * Token capabilities in the form decisions use: split patterns and action
 * bits.
 *
 * @module
 */

import { parseCapabilities } from "./capabilities.ts";
import { actionBit } from "./_entries.ts";
import { type SplitPattern, splitPattern } from "../topic/split_pattern.ts";

/** One capability, ready to match. */
export interface Grant {
  readonly pattern: string;
  readonly split: SplitPattern;
  readonly actions: number;
}

/** Parsed capabilities, or why the claim was ignored. */
export type Grants = { readonly ok: true; readonly entries: readonly Grant[] } | {
  readonly ok: false;
  readonly message: string;
};

/** No capabilities at all: the claim is absent or capabilities are off. */
export const NO_GRANTS: Grants = Object.freeze({ ok: true, entries: Object.freeze([]) });

/** Parses a capability claim into grants. */
export function parseGrants(claim: unknown): Grants {
  const result = parseCapabilities(claim);
  if (!result.ok) return result;
  return {
    ok: true,
    entries: result.entries.map((e) => ({
      pattern: e.pattern,
      split: splitPattern(e.pattern),
      actions: e.actions.reduce((bits, a) => bits | actionBit(a), 0),
    })),
  };
}
