/**
 * The straightforward scan a pattern-target decision must agree with, and a
 * one-line summary of decisions to compare with it.
 */

import type { AclDecision } from "../../src/acl/compile.ts";
import { patternContains, patternsOverlap } from "../../src/topic/pattern.ts";
import { expandTemplatePattern } from "../../src/acl/template.ts";
import type { AclAction, AclRule } from "../../src/acl/rules.ts";
import { containsSplit, overlapSplit, splitPattern } from "../../src/topic/split_pattern.ts";
import type { Principal } from "../../src/auth/principal.ts";

/** One-line summary of a decision: `deny #1 chat:*`, `capability a:**`, `default`... */
export function summary(d: Pick<AclDecision, "reason" | "rule" | "capability">): string {
  if (d.reason === "rule") return `${d.rule?.effect} #${d.rule?.index} ${d.rule?.pattern}`;
  if (d.reason === "capability") return `capability ${d.capability}`;
  return d.reason;
}

/** Whether a rule's condition holds; claim paths here are single keys. */
export function holds(rule: AclRule, p: Principal): boolean {
  const when = rule.when;
  if (when?.roles && !when.roles.some((r) => p.roles.includes(r))) return false;
  for (const [key, value] of Object.entries(when?.claims ?? {})) {
    if (p.claims[key] !== value) return false;
  }
  return true;
}

/**
 * The straightforward scan for a pattern target, as a {@linkcode summary}:
 * every deny pattern in rule order, then every allow pattern, then the
 * capabilities. With `bounded` false, `**` is read as unbounded, which is
 * wrong for decisions; it exists to show that cases depend on the length
 * limits.
 */
export function scan(
  rules: readonly AclRule[],
  p: Principal,
  action: AclAction,
  target: string,
  bounded = true,
): string {
  const inner = splitPattern(target);
  const overlaps = (outer: string) =>
    bounded ? patternsOverlap(outer, target) : overlapSplit(splitPattern(outer), inner, false);
  const contains = (outer: string) =>
    bounded ? patternContains(outer, target) : containsSplit(splitPattern(outer), inner, false);
  for (const effect of ["deny", "allow"] as const) {
    for (const [index, rule] of rules.entries()) {
      if (rule.effect !== effect || !holds(rule, p)) continue;
      if (rule.actions !== "*" && !rule.actions.includes(action)) continue;
      for (const pattern of rule.topics) {
        const expanded = expandTemplatePattern(pattern, p);
        if (expanded === undefined) continue;
        if (effect === "deny" ? overlaps(expanded) : contains(expanded)) {
          return `${effect} #${index} ${pattern}`;
        }
      }
    }
  }
  const caps = (p.claims.acl ?? {}) as Record<string, string[]>;
  for (const [pattern, actions] of Object.entries(caps)) {
    if (actions.includes(action) && contains(pattern)) return `capability ${pattern}`;
  }
  return "default";
}

/** Segments long enough that the 255-character limit decides some overlaps and containments. */
export const X = "x".repeat(64);
/** Another 64-character segment. */
export const Y = "y".repeat(64);
