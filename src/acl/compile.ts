/**
 * Compiling ACL options into a matcher that decides, per principal, action
 * and topic (or subscription pattern), whether access is allowed and why.
 *
 * Decision order: the target is validated; the first deny rule that matches
 * (for a pattern target: overlaps it) and whose `when` holds denies; else the
 * first allow rule that matches (for a pattern: contains it) allows; else the
 * first token capability that matches or contains it allows; else access is
 * denied by default.
 *
 * A pattern target is allowed only when a single rule or capability pattern
 * contains it. Containment in a union of several patterns is not computed,
 * so `chat:a` plus `chat:b` allowed does not allow a subscription that could
 * only match those two topics. This errs on the side of denying.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import type { AclAction, AclOptions, AclRule } from "./rules.ts";
import { ACL_ACTIONS } from "./rules.ts";
import { validatePattern, validateTopic } from "../topic/topic.ts";
import { type Grants, NO_GRANTS, parseGrants } from "./_grants.ts";
import { isConcreteTopic } from "../topic/concrete.ts";
import {
  containsSplit,
  matchSplit,
  type SplitPattern,
  splitPattern,
} from "../topic/split_pattern.ts";
import { actionBit, buildEntries, copyRule, type RuleEntry } from "./_entries.ts";
import { buildTrie, findEntry, type Trie } from "./_trie.ts";
import { findPatternEntry } from "./_trie_pattern.ts";
import { optionsProblems, ruleLabel } from "./_validate.ts";
import { kindOf, quote } from "../topic/quote.ts";
import { type AclSignatureRequirement, SigningTable } from "./signing.ts";

/**
 * The rule behind a decision.
 *
 * @example Read which rule decided
 * ```ts
 * import type { AclDecisionRule } from "@realtime/hub/acl";
 *
 * const rule: AclDecisionRule = { index: 2, id: "team-chat", effect: "allow", pattern: "chat:*" };
 * ```
 */
export interface AclDecisionRule {
  /** The rule's position in `rules`, from 0. */
  readonly index: number;
  /** The rule's `id`, when it has one. */
  readonly id?: string;
  /** The rule's effect. */
  readonly effect: "allow" | "deny";
  /** The rule's pattern that matched, as written (templates unexpanded). */
  readonly pattern: string;
}

/**
 * An access decision and why it was made.
 *
 * @example Refuse with the reason
 * ```ts
 * import type { AclDecision } from "@realtime/hub/acl";
 *
 * const explain = (d: AclDecision) => d.allowed ? "ok" : `${d.reason}: ${d.message}`;
 * ```
 */
export interface AclDecision {
  /** Whether access is allowed. */
  readonly allowed: boolean;
  /** What decided: a rule, a token capability, the default, or an invalid request. */
  readonly reason: "rule" | "capability" | "default" | "invalid";
  /** The deciding rule, when `reason` is `rule`. */
  readonly rule?: AclDecisionRule;
  /** The granting capability pattern, when `reason` is `capability`. */
  readonly capability?: string;
  /**
   * A human-readable explanation, such as
   * `allowed by rule #2 'team-chat' (allow subscribe chat:*)`; for `invalid`,
   * the validation message.
   */
  readonly message: string;
}

/**
 * A compiled ACL.
 *
 * @example Decide and explain
 * ```ts
 * import { type Principal } from "@realtime/hub";
 * import { compileAcl, type Acl } from "@realtime/hub/acl";
 *
 * const acl: Acl = compileAcl({ rules: [{ effect: "allow", actions: "*", topics: ["**"] }] });
 * const p: Principal = { sub: "a", roles: [], claims: {}, expiresAt: null };
 * acl.decide(p, "publish", "chat:lobby").allowed; // true
 * ```
 */
export interface Acl {
  /** The validated rules, frozen copies of what was passed. */
  readonly rules: readonly AclRule[];
  /**
   * Decides whether `principal` may perform `action` on `target`.
   *
   * @param principal The verified principal.
   * @param action The action.
   * @param target A concrete topic, or a pattern for any action but `publish`.
   * @returns The decision; never throws.
   */
  decide(principal: Principal, action: AclAction, target: string): AclDecision;
  /**
   * The signature publications to `topic` require: the first rule, in rule
   * order, with `signed` and a pattern matching the topic. It does not depend
   * on the principal and does not replace {@linkcode Acl.decide}: a signed
   * publication must be both allowed and verified.
   *
   * @param topic A concrete topic.
   * @returns The requirement, or `undefined` when the topic needs no
   * signature (or is not a valid concrete topic, which `decide` refuses).
   */
  signingFor(topic: string): AclSignatureRequirement | undefined;
}

/**
 * Options for {@linkcode compileAcl} beyond the ACL itself.
 *
 * @example Replace the rules in force
 * ```ts
 * import { type Acl, compileAcl } from "@realtime/hub/acl";
 *
 * let acl: Acl = compileAcl({ rules: [] });
 * acl = compileAcl({ rules: [{ effect: "allow", actions: ["subscribe"], topics: ["chat:*"] }] }, {
 *   previous: acl,
 * });
 * ```
 */
export interface AclCompileOptions {
  /**
   * The ACL these rules replace. A signed rule's pattern keeps the replay
   * memory it had there when the keys it accepts share a key with the ones
   * it had (the same keys, or a rotation adding or dropping one), so a
   * rules update does not let a signed publication accepted before it be
   * published again. Without it, every signed pattern starts with an empty
   * memory.
   *
   * @default {undefined}
   */
  previous?: Acl;
}

/**
 * Validates ACL options once and compiles the rules into a segment trie, so
 * a decision, for a concrete topic or a subscription pattern, does not scan
 * the rule list.
 *
 * @param options The rules and the capability claim name.
 * @param compile The ACL being replaced, whose signed rules' replay memories carry over.
 * @returns The compiled {@linkcode Acl}.
 * @throws {TypeError} When the options are malformed; the message names the
 * rule index and the bad value.
 *
 * @example Deny overrides allow
 * ```ts
 * import { type Principal } from "@realtime/hub";
 * import { compileAcl } from "@realtime/hub/acl";
 * import assert from "node:assert/strict";
 *
 * const acl = compileAcl({
 *   rules: [
 *     { id: "team-chat", effect: "allow", actions: ["subscribe", "publish"], topics: ["chat:*"] },
 *     { id: "read-only", effect: "deny", actions: ["publish"], topics: ["chat:announce"] },
 *   ],
 * });
 * const bob: Principal = { sub: "bob", roles: [], claims: {}, expiresAt: null };
 *
 * assert.equal(
 *   acl.decide(bob, "subscribe", "chat:*").message,
 *   "allowed by rule #0 'team-chat' (allow subscribe chat:*)",
 * );
 * assert.equal(
 *   acl.decide(bob, "publish", "chat:announce").message,
 *   "denied by rule #1 'read-only' (deny publish chat:announce)",
 * );
 * assert.equal(acl.decide(bob, "subscribe", "chat:**").allowed, false);
 * ```
 */
export function compileAcl(options: AclOptions, compile: AclCompileOptions = {}): Acl {
  const problems = optionsProblems(options);
  if (problems.length > 0) throw new TypeError(problems[0].message);
  return new CompiledAcl(options, compile.previous);
}

class CompiledAcl implements Acl {
  readonly rules: readonly AclRule[];
  readonly #trie: Trie;
  readonly #claim: string | false;
  readonly #signing: SigningTable;
  /** Capability claims are verified and immutable, so parse each object once. */
  readonly #parsed = new WeakMap<object, Grants>();
  /**
   * A rule's decision depends on the rule and the action only: each is built
   * once (frozen) instead of once per check, message string included.
   */
  readonly #ruleDecisions = new Map<RuleEntry, AclDecision[]>();

  constructor(options: AclOptions, previous: Acl | undefined) {
    this.rules = Object.freeze((options.rules ?? []).map(copyRule));
    this.#trie = buildTrie(buildEntries(this.rules));
    this.#claim = options.capabilityClaim ?? "acl";
    this.#signing = new SigningTable(
      this.rules,
      previous instanceof CompiledAcl ? previous.#signing : undefined,
    );
  }

  signingFor(topic: string): AclSignatureRequirement | undefined {
    return this.#signing.find(topic);
  }

  decide(principal: Principal, action: AclAction, target: string): AclDecision {
    const bit = actionBit(action);
    if (bit === 0) {
      const seen = typeof action === "string" ? quote(action) : kindOf(action);
      return invalid(`Unknown action ${seen}: expected ${ACL_ACTIONS.join(", ")}`);
    }
    if (typeof target !== "string") {
      return invalid(`Invalid topic: expected a string, got ${kindOf(target)}`);
    }
    if (isConcreteTopic(target)) {
      const topic = target.split(":");
      const entry = findEntry(this.#trie, principal, bit, topic);
      if (entry !== undefined) return this.#ruleDecision(entry, action, bit);
      return this.#byCapability(principal, action, bit, target, (c) => matchSplit(c, topic));
    }
    if (!target.includes("*")) return invalid(validateTopic(target) ?? "Invalid topic");
    const problem = validatePattern(target);
    if (problem !== undefined) return invalid(problem);
    if (action === "publish") {
      return invalid(`Cannot publish to pattern ${quote(target)}: a concrete topic is required`);
    }
    return this.#decidePattern(principal, action, bit, target);
  }

  #decidePattern(principal: Principal, action: AclAction, bit: number, target: string) {
    const inner = splitPattern(target);
    const entry = findPatternEntry(this.#trie, principal, bit, inner);
    if (entry !== undefined) return this.#ruleDecision(entry, action, bit);
    return this.#byCapability(principal, action, bit, target, (c) => containsSplit(c, inner, true));
  }

  #ruleDecision(entry: RuleEntry, action: AclAction, bit: number): AclDecision {
    let byBit = this.#ruleDecisions.get(entry);
    if (byBit === undefined) this.#ruleDecisions.set(entry, byBit = []);
    return byBit[bit] ??= ruleDecision(entry, action);
  }

  #byCapability(
    principal: Principal,
    action: AclAction,
    bit: number,
    target: string,
    covers: (capability: SplitPattern) => boolean,
  ): AclDecision {
    const capabilities = this.#capabilities(principal);
    if (capabilities.ok) {
      for (const capability of capabilities.entries) {
        if ((capability.actions & bit) !== 0 && covers(capability.split)) {
          return {
            allowed: true,
            reason: "capability",
            capability: capability.pattern,
            message: `allowed by capability ${quote(capability.pattern)} (${action}) in claim ${
              quote(this.#claim || "")
            }`,
          };
        }
      }
    }
    const base = `denied by default: no rule or capability allows ${action} on ${quote(target)}`;
    return {
      allowed: false,
      reason: "default",
      message: capabilities.ok
        ? base
        : `${base}; capability claim ${
          quote(this.#claim || "")
        } was ignored: ${capabilities.message}`,
    };
  }

  #capabilities(principal: Principal): Grants {
    // A token-less connection can never carry capabilities, whatever an
    // authenticate hook put in its claims.
    if (principal.anonymous === true) return NO_GRANTS;
    const claims = principal.claims;
    if (this.#claim === false || typeof claims !== "object" || claims === null) {
      return NO_GRANTS;
    }
    if (!Object.hasOwn(claims, this.#claim)) return NO_GRANTS;
    const raw = claims[this.#claim];
    if (raw === undefined) return NO_GRANTS;
    const cached = typeof raw === "object" && raw !== null ? this.#parsed.get(raw) : undefined;
    if (cached !== undefined) return cached;
    const grants = parseGrants(raw);
    if (typeof raw === "object" && raw !== null) this.#parsed.set(raw, grants);
    return grants;
  }
}

function invalid(message: string): AclDecision {
  return { allowed: false, reason: "invalid", message };
}

/** A rule's decision for an action, frozen: it is shared by every check it decides. */
function ruleDecision(entry: RuleEntry, action: AclAction): AclDecision {
  const { index, rule, pattern } = entry;
  const effect = rule.effect;
  return Object.freeze({
    allowed: effect === "allow",
    reason: "rule",
    rule: Object.freeze(
      rule.id === undefined ? { index, effect, pattern } : { index, id: rule.id, effect, pattern },
    ),
    message: `${effect === "allow" ? "allowed" : "denied"} by rule ${
      ruleLabel(index, rule.id)
    } (${effect} ${action} ${pattern})`,
  });
}
