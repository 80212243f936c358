/**
 * Templated rule patterns: a segment `{sub}` or `{claims.<path>}` stands for
 * the principal's subject or a verified claim, so one rule such as
 * `user:{sub}:**` gives every user their own topics.
 *
 * A template occupies a whole segment. When the claim is missing or is not
 * exactly one valid segment (`a:*`, `**`, `""`, an object...), the pattern
 * matches nothing for that principal: a claim can never widen a rule. Finite
 * numbers are stringified; booleans and other values never match.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import { grammarProblem, isTemplateSegment, templateRef } from "../topic/grammar.ts";
import { claimSegment, readClaim } from "./_claims.ts";
import { quote } from "../topic/quote.ts";

/**
 * Checks a rule pattern that may contain template segments.
 *
 * @param pattern The pattern, such as `org:{claims.org}:**`.
 * @returns An error message, or `undefined` when the pattern is valid.
 *
 * @example Validate a templated pattern
 * ```ts
 * import { validateTemplatePattern } from "@realtime/hub/acl";
 * import assert from "node:assert/strict";
 *
 * assert.equal(validateTemplatePattern("user:{sub}"), undefined);
 * assert.equal(
 *   validateTemplatePattern("user-{sub}"),
 *   "Invalid pattern 'user-{sub}': segment 1 'user-{sub}' mixes a template with text: a template must be a whole segment",
 * );
 * ```
 */
export function validateTemplatePattern(pattern: string): string | undefined {
  if (typeof pattern !== "string") {
    return `Invalid pattern: expected a string, got ${typeof pattern}`;
  }
  const problem = grammarProblem(pattern, { wildcards: true, templates: true });
  return problem === undefined ? undefined : `Invalid pattern ${quote(pattern)}: ${problem}`;
}

/**
 * The template references in a valid templated pattern, in order: `sub` or
 * `claims.<path>`.
 *
 * @param pattern A pattern accepted by {@linkcode validateTemplatePattern}.
 * @returns The references, such as `["claims.org", "sub"]`; empty when the
 * pattern has no templates.
 *
 * @example List the claims a rule depends on
 * ```ts
 * import { templateRefs } from "@realtime/hub/acl";
 *
 * templateRefs("org:{claims.org}:user:{sub}"); // ["claims.org", "sub"]
 * ```
 */
export function templateRefs(pattern: string): string[] {
  const refs: string[] = [];
  for (const segment of pattern.split(":")) {
    const ref = isTemplateSegment(segment) ? templateRef(segment) : undefined;
    if (ref !== undefined) refs.push(ref);
  }
  return refs;
}

/**
 * Resolves one template reference for a principal to a topic segment.
 *
 * @param ref `sub` or `claims.<path>`.
 * @param principal The verified principal.
 * @returns The segment, or `undefined` when the claim is missing or is not
 * exactly one valid segment.
 *
 * @example Resolve references
 * ```ts
 * import { type Principal } from "@realtime/hub";
 * import { resolveTemplateRef } from "@realtime/hub/acl";
 *
 * const alice: Principal = {
 *   sub: "alice",
 *   roles: [],
 *   claims: { org: { id: 7 } },
 *   expiresAt: null,
 * };
 * resolveTemplateRef("sub", alice); // "alice"
 * resolveTemplateRef("claims.org.id", alice); // "7"
 * resolveTemplateRef("claims.team", alice); // undefined
 * ```
 */
export function resolveTemplateRef(ref: string, principal: Principal): string | undefined {
  if (ref === "sub") return claimSegment(principal.sub);
  if (!ref.startsWith("claims.")) return undefined;
  return claimSegment(readClaim(principal.claims, ref.slice(7).split(".")));
}

/**
 * Expands every template segment of a valid templated pattern for a
 * principal.
 *
 * @param pattern A pattern accepted by {@linkcode validateTemplatePattern}.
 * @param principal The verified principal.
 * @returns The concrete pattern, or `undefined` when some template cannot be
 * resolved, meaning the pattern matches nothing for this principal.
 *
 * @example Expand a per-user pattern
 * ```ts
 * import { type Principal } from "@realtime/hub";
 * import { expandTemplatePattern } from "@realtime/hub/acl";
 *
 * const mallory: Principal = { sub: "a:*", roles: [], claims: {}, expiresAt: null };
 * const bob: Principal = { sub: "bob", roles: [], claims: {}, expiresAt: null };
 * expandTemplatePattern("user:{sub}:**", bob); // "user:bob:**"
 * expandTemplatePattern("user:{sub}:**", mallory); // undefined: never widened
 * ```
 */
export function expandTemplatePattern(pattern: string, principal: Principal): string | undefined {
  if (!pattern.includes("{")) return pattern;
  const segments = pattern.split(":");
  for (let i = 0; i < segments.length; i++) {
    if (!isTemplateSegment(segments[i])) continue;
    const ref = templateRef(segments[i]);
    const value = ref === undefined ? undefined : resolveTemplateRef(ref, principal);
    if (value === undefined) return undefined;
    segments[i] = value;
  }
  return segments.join(":");
}
