/**
 * Rules flattened to one entry per (rule, topic pattern), in rule order then
 * topic order. An entry's `order` is its position, and the lowest order wins
 * among matching entries of the same effect, so decisions name the first
 * matching rule and, within it, the first matching pattern.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import { ACL_ACTIONS, type AclAction, type AclRule } from "./rules.ts";
import { isTemplateSegment, templateRef } from "../topic/grammar.ts";
import { type SplitPattern, splitPattern } from "../topic/split_pattern.ts";
import { compileCondition, type Condition } from "./_condition.ts";
import { resolveTemplateRef } from "./template.ts";

/** One (rule, pattern) pair. */
export interface RuleEntry {
  readonly order: number;
  readonly index: number;
  readonly rule: AclRule;
  readonly pattern: string;
  readonly split: SplitPattern;
  readonly templated: boolean;
  readonly deny: boolean;
  /** Bit `1 << i` set for each covered action `ACL_ACTIONS[i]`. */
  readonly actions: number;
  readonly condition: Condition | undefined;
}

/** The bit of an action, or 0 when it is not a known action. */
export function actionBit(action: AclAction): number {
  switch (action) {
    case "subscribe":
      return 1;
    case "publish":
      return 2;
    case "presence":
      return 4;
    case "history":
      return 8;
    default:
      return 0;
  }
}

/** Flattens validated rules into entries. */
export function buildEntries(rules: readonly AclRule[]): RuleEntry[] {
  const entries: RuleEntry[] = [];
  rules.forEach((rule, index) => {
    const list = rule.actions === "*" ? ACL_ACTIONS : rule.actions;
    let actions = 0;
    for (const action of list) actions |= actionBit(action);
    const condition = compileCondition(rule.when, rule.effect);
    for (const pattern of rule.topics) {
      entries.push({
        order: entries.length,
        index,
        rule,
        pattern,
        split: splitPattern(pattern),
        templated: pattern.includes("{"),
        deny: rule.effect === "deny",
        actions,
        condition,
      });
    }
  });
  return entries;
}

/** The entry's pattern with templates filled in, or `undefined` when one cannot be. */
export function expandEntry(entry: RuleEntry, principal: Principal): SplitPattern | undefined {
  if (!entry.templated) return entry.split;
  const segments = [...entry.split.segments];
  for (let i = 0; i < segments.length; i++) {
    if (!isTemplateSegment(segments[i])) continue;
    const value = resolveTemplateRef(templateRef(segments[i]) ?? "", principal);
    if (value === undefined) return undefined;
    segments[i] = value;
  }
  return { segments, tail: entry.split.tail };
}

/** A frozen copy of a validated rule, so later changes to the caller's object change nothing. */
export function copyRule(rule: AclRule): AclRule {
  const copy: AclRule = {
    effect: rule.effect,
    actions: rule.actions === "*" ? "*" : Object.freeze([...rule.actions]),
    topics: Object.freeze([...rule.topics]),
    ...(rule.when === undefined ? {} : {
      when: Object.freeze({
        ...(rule.when.roles === undefined ? {} : { roles: Object.freeze([...rule.when.roles]) }),
        ...(rule.when.claims === undefined
          ? {}
          : { claims: Object.freeze({ ...rule.when.claims }) }),
        ...(rule.when.anonymous === undefined ? {} : { anonymous: rule.when.anonymous }),
      }),
    }),
    ...(rule.id === undefined ? {} : { id: rule.id }),
    ...(rule.signed === undefined ? {} : { signed: Object.freeze({ ...rule.signed }) }),
  };
  return Object.freeze(copy);
}
