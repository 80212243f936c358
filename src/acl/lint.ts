/**
 * Static checks of ACL options for the CLI's `acl check`: everything
 * {@linkcode compileAcl} would reject, plus rules that can never decide and
 * templates naming unknown claims.
 *
 * @module
 */

import type { AclCondition, AclOptions, AclRule } from "./rules.ts";
import { ACL_ACTIONS } from "./rules.ts";
import { templateRefs } from "./template.ts";
import { containsSplit, splitPattern } from "../topic/split_pattern.ts";
import { optionsProblems, ruleLabel } from "./_validate.ts";
import { quote } from "../topic/quote.ts";

/**
 * One problem found by {@linkcode lintAcl}.
 *
 * @example Print issues
 * ```ts
 * import type { AclLintIssue } from "@realtime/hub/acl";
 *
 * const line = (i: AclLintIssue) => `${i.severity}: ${i.message}`;
 * ```
 */
export interface AclLintIssue {
  /** `error` when {@linkcode compileAcl} would throw, `warning` otherwise. */
  readonly severity: "error" | "warning";
  /** The index of the rule concerned, when there is one. */
  readonly rule?: number;
  /** What is wrong. */
  readonly message: string;
}

/**
 * Options for {@linkcode lintAcl}.
 *
 * @example Declare the claims tokens carry
 * ```ts
 * import type { AclLintOptions } from "@realtime/hub/acl";
 *
 * const options: AclLintOptions = { claims: ["sub", "org", "team.id"] };
 * ```
 */
export interface AclLintOptions {
  /**
   * Claim names or dotted paths tokens are known to carry; when given,
   * templates and conditions naming other claims are reported.
   * @default {undefined} (not checked)
   */
  readonly claims?: readonly string[];
}

/**
 * The errors of {@linkcode lintAcl} alone: what {@linkcode compileAcl}
 * would throw for, each with its message, without the coverage analysis
 * (which grows with the square of the rule count). Cheap enough to check
 * rules received in a request before handing them to the hub.
 *
 * @param options The options as they would be passed to {@linkcode compileAcl}.
 * @returns The errors, options-level first, then rule by rule; empty when the options compile.
 *
 * @example Refuse bad rules with the compiler's message
 * ```ts
 * import { aclErrors } from "@realtime/hub/acl";
 * import assert from "node:assert/strict";
 *
 * const rules = [{ effect: "allow", actions: ["read"], topics: ["chat:*"] }];
 * const [first] = aclErrors({ rules: rules as never });
 * assert.equal(first.severity, "error");
 * assert.equal(first.rule, 0);
 * assert.equal(aclErrors({ rules: [] }).length, 0);
 * ```
 */
export function aclErrors(options: AclOptions): AclLintIssue[] {
  return optionsProblems(options).map((p) => ({ severity: "error", ...p }));
}

/**
 * Checks ACL options without throwing. Errors: malformed options, invalid
 * patterns or templates, unknown actions, empty topic lists. Warnings: rules
 * that never decide because a deny rule covering the same actions and topics,
 * with a condition no narrower, always wins over them (any deny rule for an
 * allow rule, an earlier one for a deny rule); allow rules shadowed by an
 * earlier allow rule the same way; signed rules whose keys never apply
 * because an earlier signed rule covers all their topics; claims not among
 * `claims`.
 *
 * Coverage is checked pattern by pattern (each pattern of the rule must be
 * contained in one pattern of the covering rule), so some redundant rules
 * are not reported.
 *
 * @param options The options as they would be passed to {@linkcode compileAcl}.
 * @param lint Optional known claims.
 * @returns The issues, errors first, then warnings in rule order.
 *
 * @example Find an unreachable rule
 * ```ts
 * import { lintAcl } from "@realtime/hub/acl";
 * import assert from "node:assert/strict";
 *
 * const issues = lintAcl({
 *   rules: [
 *     { effect: "deny", actions: "*", topics: ["admin:**"] },
 *     { id: "ops", effect: "allow", actions: ["subscribe"], topics: ["admin:ops:*"] },
 *   ],
 * });
 * assert.deepEqual(issues, [{
 *   severity: "warning",
 *   rule: 1,
 *   message: "Rule #1 'ops' never applies: deny rule #0 covers all its actions and topics",
 * }]);
 * ```
 */
export function lintAcl(options: AclOptions, lint: AclLintOptions = {}): AclLintIssue[] {
  const issues = aclErrors(options);
  if (issues.some((p) => p.rule === undefined) && !Array.isArray(options?.rules)) return issues;
  const bad = new Set(issues.map((p) => p.rule));
  const rules = options.rules ?? [];
  const valid = rules.map((rule, index) => bad.has(index) ? undefined : rule);
  valid.forEach((rule, index) => {
    if (rule === undefined) return;
    const cover = coveringRule(valid, index);
    if (cover !== undefined) {
      const verb = cover.deny ? "never applies" : "is shadowed";
      const by = `${rules[cover.index].effect} rule ${
        ruleLabel(cover.index, rules[cover.index].id)
      }`;
      issues.push({
        severity: "warning",
        rule: index,
        message: `Rule ${
          ruleLabel(index, rule.id)
        } ${verb}: ${by} covers all its actions and topics`,
      });
    }
    const signer = rule.signed === undefined ? undefined : earlierSigned(valid, index);
    if (signer !== undefined) {
      issues.push({
        severity: "warning",
        rule: index,
        message: `Rule ${ruleLabel(index, rule.id)} never applies its signing keys: signed rule ${
          ruleLabel(signer, rules[signer].id)
        } comes first and covers all its topics`,
      });
    }
    if (lint.claims !== undefined) issues.push(...claimIssues(rule, index, lint.claims));
  });
  return issues;
}

/** An earlier signed rule whose patterns contain every pattern of signed `rules[index]`. */
function earlierSigned(rules: readonly (AclRule | undefined)[], index: number): number | undefined {
  const topics = rules[index]!.topics;
  for (let i = 0; i < index; i++) {
    const other = rules[i];
    if (other?.signed === undefined) continue;
    const covered = topics.every((t) =>
      other.topics.some((o) => containsSplit(splitPattern(o), splitPattern(t), false))
    );
    if (covered) return i;
  }
  return undefined;
}

/** The first rule that always decides before `rules[index]` could. */
function coveringRule(
  rules: readonly (AclRule | undefined)[],
  index: number,
): { index: number; deny: boolean } | undefined {
  const rule = rules[index]!;
  let shadow: number | undefined;
  for (let i = 0; i < rules.length; i++) {
    const other = rules[i];
    if (i === index || other === undefined) continue;
    const denyWins = other.effect === "deny" && (rule.effect === "allow" || i < index);
    const allowFirst = other.effect === "allow" && rule.effect === "allow" && i < index;
    if (!denyWins && !allowFirst) continue;
    if (!covers(other, rule)) continue;
    if (denyWins) return { index: i, deny: true };
    shadow ??= i;
  }
  return shadow === undefined ? undefined : { index: shadow, deny: false };
}

function covers(outer: AclRule, inner: AclRule): boolean {
  if (outer.actions !== "*") {
    const innerActions = inner.actions === "*" ? ACL_ACTIONS : inner.actions;
    if (!innerActions.every((a) => outer.actions.includes(a))) return false;
  }
  if (!implies(inner.when, outer.when)) return false;
  return inner.topics.every((t) =>
    outer.topics.some((o) => containsSplit(splitPattern(o), splitPattern(t), false))
  );
}

/** Whether `narrow` holding guarantees `wide` holds. */
function implies(narrow: AclCondition | undefined, wide: AclCondition | undefined): boolean {
  if (wide === undefined) return true;
  if (wide.roles !== undefined) {
    const roles = narrow?.roles;
    if (roles === undefined || !roles.every((r) => wide.roles!.includes(r))) return false;
  }
  for (const [path, value] of Object.entries(wide.claims ?? {})) {
    const claims = narrow?.claims;
    if (claims === undefined || !Object.hasOwn(claims, path) || claims[path] !== value) {
      return false;
    }
  }
  return true;
}

function claimIssues(rule: AclRule, index: number, known: readonly string[]): AclLintIssue[] {
  const isKnown = (path: string) => {
    const parts = path.split(".");
    return parts.some((_, n) => known.includes(parts.slice(0, n + 1).join(".")));
  };
  const list = known.length === 0 ? "none" : known.join(", ");
  const issues: AclLintIssue[] = [];
  rule.topics.forEach((topic, t) => {
    for (const ref of templateRefs(topic)) {
      if (ref === "sub" || isKnown(ref.slice(7))) continue;
      issues.push({
        severity: "warning",
        rule: index,
        message: `Rule ${ruleLabel(index, rule.id)} topics[${t}] ${quote(topic)} uses claim ${
          quote(ref.slice(7))
        }, which is not a known claim (known: ${list})`,
      });
    }
  });
  for (const path of Object.keys(rule.when?.claims ?? {})) {
    if (isKnown(path)) continue;
    issues.push({
      severity: "warning",
      rule: index,
      message: `Rule ${ruleLabel(index, rule.id)} when.claims uses claim ${
        quote(path)
      }, which is not a known claim (known: ${list})`,
    });
  }
  return issues;
}
