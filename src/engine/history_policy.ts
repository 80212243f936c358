/**
 * Which topics keep history, and how much: rules by topic pattern, first
 * match wins.
 *
 * @module
 */

import { matchPattern } from "../topic/pattern.ts";
import { validatePattern } from "../topic/topic.ts";

/**
 * One history rule: topics matching `pattern` keep their newest `size`
 * publications for `ttlMs` each.
 *
 * @example Keep a chat room's last 100 messages for 5 minutes
 * ```ts
 * import type { HistoryRule } from "./history_policy.ts";
 *
 * const rule: HistoryRule = { pattern: "chat:*", size: 100, ttlMs: 300_000 };
 * ```
 */
export interface HistoryRule {
  /** A topic pattern such as `chat:*` or `org:acme:**`, or a concrete topic. */
  readonly pattern: string;
  /** Most publications kept per topic, an integer from 1 to 100,000; 0 turns history off for the matched topics. */
  readonly size: number;
  /** How long each publication is kept, and how long an idle topic's position survives, in milliseconds. */
  readonly ttlMs: number;
}

/** Largest {@linkcode HistoryRule.size}. */
const MAX_SIZE = 100_000;
/** Largest {@linkcode HistoryRule.ttlMs}: 30 days. */
const MAX_TTL_MS = 30 * 86_400_000;
/** Most topics whose rule is remembered before the memo starts over. */
const MEMO_MAX = 10_000;

/**
 * Finds the history rule of a topic: `undefined` when it keeps no history.
 *
 * @example Look up a topic
 * ```ts
 * import { compileHistoryPolicy, type HistoryPolicy } from "./history_policy.ts";
 *
 * const policy: HistoryPolicy = compileHistoryPolicy([{ pattern: "chat:*", size: 100, ttlMs: 1000 }]);
 * policy("chat:lobby")?.size; // 100
 * ```
 */
export type HistoryPolicy = (topic: string) => HistoryRule | undefined;

/**
 * Compiles history rules into a lookup. The first rule whose pattern matches
 * a topic decides, as in a routing table: put narrow rules before wide ones
 * (`chat:vip:*` before `chat:**`). A rule with `size: 0` exempts its topics
 * from later rules. With no rules, the lookup is a constant and topics pay
 * nothing.
 *
 * @param rules The rules, in priority order.
 * @returns The lookup; results are memoized per topic.
 * @throws {TypeError} When a rule's pattern is invalid.
 * @throws {RangeError} When a size or TTL is out of range.
 *
 * @example First match wins
 * ```ts
 * import { compileHistoryPolicy } from "./history_policy.ts";
 * import assert from "node:assert/strict";
 *
 * const policy = compileHistoryPolicy([
 *   { pattern: "chat:noisy", size: 0, ttlMs: 1 },
 *   { pattern: "chat:*", size: 100, ttlMs: 300_000 },
 * ]);
 * assert.equal(policy("chat:lobby")?.size, 100);
 * assert.equal(policy("chat:noisy"), undefined);
 * assert.equal(policy("news:today"), undefined);
 * ```
 */
export function compileHistoryPolicy(rules: readonly HistoryRule[]): HistoryPolicy {
  if (!Array.isArray(rules)) {
    throw new TypeError(`Cannot compile history rules: expected an array, got ${typeof rules}`);
  }
  const checked = rules.map(checkRule);
  if (checked.length === 0) return none;
  const memo = new Map<string, HistoryRule | null>();
  return function historyRuleOf(topic: string): HistoryRule | undefined {
    let rule = memo.get(topic);
    if (rule === undefined) {
      rule = checked.find((r) => matchPattern(r.pattern, topic)) ?? null;
      if (rule !== null && rule.size === 0) rule = null;
      if (memo.size >= MEMO_MAX) memo.clear();
      memo.set(topic, rule);
    }
    return rule ?? undefined;
  };
}

function none(): undefined {
  return undefined;
}

function checkRule(rule: HistoryRule, index: number): HistoryRule {
  if (typeof rule !== "object" || rule === null) {
    throw new TypeError(`Invalid history rule ${index}: expected an object, got ${rule}`);
  }
  const problem = validatePattern(rule.pattern);
  if (problem !== undefined) throw new TypeError(`Invalid history rule ${index}: ${problem}`);
  const { size, ttlMs } = rule;
  if (!Number.isInteger(size) || size < 0 || size > MAX_SIZE) {
    throw new RangeError(
      `Invalid history rule ${index}: 'size' must be an integer from 0 to ${MAX_SIZE}, got ${size}`,
    );
  }
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
    throw new RangeError(
      `Invalid history rule ${index}: 'ttlMs' must be an integer from 1 to ${MAX_TTL_MS}, got ${ttlMs}`,
    );
  }
  return Object.freeze({ pattern: rule.pattern, size, ttlMs });
}
