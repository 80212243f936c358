/**
 * Checks ACL options, reporting every problem. `compileAcl` throws the first;
 * `lintAcl` reports them all.
 *
 * @module
 */

import { ACL_ACTIONS } from "./rules.ts";
import { grammarProblem } from "../topic/grammar.ts";
import { kindOf, quote } from "../topic/quote.ts";
import { signedProblems } from "./signing.ts";

/** A problem found in the options, naming the rule when there is one. */
export interface OptionsProblem {
  readonly rule?: number;
  readonly message: string;
}

const RULE_FIELDS = new Set(["effect", "actions", "topics", "when", "id", "signed"]);
const WHEN_FIELDS = new Set(["roles", "claims", "anonymous"]);
const CLAIM_PATH_RE = /^[^.]+(?:\.[^.]+)*$/;

/** How a rule is named in messages: `#2 'team-chat'` or `#2`. */
export function ruleLabel(index: number, id: string | undefined): string {
  return id === undefined ? `#${index}` : `#${index} ${quote(id)}`;
}

/** Every problem in `options`, options-level first, then rule by rule. */
export function optionsProblems(options: unknown): OptionsProblem[] {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    return [{ message: `Invalid ACL options: expected an object, got ${kindOf(options)}` }];
  }
  const { rules, capabilityClaim } = options as Record<string, unknown>;
  const problems: OptionsProblem[] = [];
  if (
    capabilityClaim !== undefined && capabilityClaim !== false &&
    (typeof capabilityClaim !== "string" || capabilityClaim.length === 0)
  ) {
    const seen = typeof capabilityClaim === "string" ? "''" : kindOf(capabilityClaim);
    problems.push({
      message:
        `Invalid ACL options: capabilityClaim must be a non-empty string or false, got ${seen}`,
    });
  }
  if (rules === undefined) return problems;
  if (!Array.isArray(rules)) {
    problems.push({ message: `Invalid ACL options: rules must be an array, got ${kindOf(rules)}` });
    return problems;
  }
  rules.forEach((rule, index) => {
    for (const message of ruleProblems(rule, index)) problems.push({ rule: index, message });
  });
  return problems;
}

function ruleProblems(rule: unknown, index: number): string[] {
  if (typeof rule !== "object" || rule === null || Array.isArray(rule)) {
    return [`Invalid ACL rule #${index}: expected an object, got ${kindOf(rule)}`];
  }
  const r = rule as Record<string, unknown>;
  const id = typeof r.id === "string" ? r.id : undefined;
  const prefix = `Invalid ACL rule ${ruleLabel(index, id)}:`;
  const out: string[] = [];
  for (const key of Object.keys(r)) {
    if (!RULE_FIELDS.has(key)) out.push(`${prefix} unknown field ${quote(key)}`);
  }
  if (r.id !== undefined && typeof r.id !== "string") {
    out.push(`${prefix} id must be a string, got ${kindOf(r.id)}`);
  }
  if (r.effect !== "allow" && r.effect !== "deny") {
    const seen = typeof r.effect === "string" ? quote(r.effect) : kindOf(r.effect);
    out.push(`${prefix} effect must be 'allow' or 'deny', got ${seen}`);
  }
  out.push(...actionsProblems(r.actions).map((p) => `${prefix} ${p}`));
  out.push(...topicsProblems(r.topics).map((p) => `${prefix} ${p}`));
  if (r.when !== undefined) out.push(...whenProblems(r.when).map((p) => `${prefix} ${p}`));
  if (r.signed !== undefined) out.push(...signedProblems(r).map((p) => `${prefix} ${p}`));
  return out;
}

function actionsProblems(actions: unknown): string[] {
  if (actions === "*") return [];
  if (!Array.isArray(actions)) {
    const seen = typeof actions === "string" ? quote(actions) : kindOf(actions);
    return [`actions must be '*' or an array of actions, got ${seen}`];
  }
  if (actions.length === 0) return ["actions is empty: list at least one action or use '*'"];
  const out: string[] = [];
  actions.forEach((action, i) => {
    if (!ACL_ACTIONS.includes(action)) {
      const seen = typeof action === "string" ? quote(action) : kindOf(action);
      out.push(`actions[${i}] is unknown action ${seen}: expected ${ACL_ACTIONS.join(", ")}`);
    }
  });
  return out;
}

function topicsProblems(topics: unknown): string[] {
  if (!Array.isArray(topics)) return [`topics must be an array of patterns, got ${kindOf(topics)}`];
  if (topics.length === 0) return ["topics is empty: list at least one pattern"];
  const out: string[] = [];
  topics.forEach((topic, i) => {
    if (typeof topic !== "string") {
      out.push(`topics[${i}] must be a string, got ${kindOf(topic)}`);
      return;
    }
    const problem = grammarProblem(topic, { wildcards: true, templates: true });
    if (problem !== undefined) {
      out.push(`topics[${i}] ${quote(topic)} is not a valid pattern: ${problem}`);
    }
  });
  return out;
}

function whenProblems(when: unknown): string[] {
  if (typeof when !== "object" || when === null || Array.isArray(when)) {
    return [`when must be an object, got ${kindOf(when)}`];
  }
  const w = when as Record<string, unknown>;
  const out: string[] = [];
  for (const key of Object.keys(w)) {
    if (!WHEN_FIELDS.has(key)) out.push(`when has unknown field ${quote(key)}`);
  }
  if (w.roles !== undefined) {
    if (!Array.isArray(w.roles) || w.roles.some((role) => typeof role !== "string")) {
      out.push(`when.roles must be an array of strings, got ${kindOf(w.roles)}`);
    } else if (w.roles.length === 0) {
      out.push("when.roles is empty, so the rule could never apply");
    }
  }
  if (w.anonymous !== undefined && typeof w.anonymous !== "boolean") {
    out.push(`when.anonymous must be a boolean, got ${kindOf(w.anonymous)}`);
  }
  if (w.claims !== undefined) {
    if (typeof w.claims !== "object" || w.claims === null || Array.isArray(w.claims)) {
      out.push(`when.claims must be an object, got ${kindOf(w.claims)}`);
    } else {
      for (const [path, value] of Object.entries(w.claims)) {
        if (!CLAIM_PATH_RE.test(path)) out.push(`when.claims has invalid path ${quote(path)}`);
        const type = typeof value;
        if (type !== "string" && type !== "number" && type !== "boolean") {
          out.push(
            `when.claims[${quote(path)}] must be a string, number or boolean, got ${kindOf(value)}`,
          );
        }
      }
    }
  }
  return out;
}
