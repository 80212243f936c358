/**
 * Which topics require signed publications, and with which keys: the
 * `signed` part of the rules, independent of who publishes.
 *
 * @module
 */

import {
  createPublicationVerifier,
  type PublicationVerifier,
  type PublicationVerifierOptions,
} from "../signing/verify.ts";
import { createReplayMemory } from "../signing/replay_memory.ts";
import type { AclRule, AclSigning } from "./rules.ts";
import { type CarriedMemory, carriedMemory, keepDormant, keyIdentities } from "./_replay_carry.ts";
import { isConcreteTopic } from "../topic/concrete.ts";
import { matchSplit, type SplitPattern, splitPattern } from "../topic/split_pattern.ts";
import { kindOf, quote } from "../topic/quote.ts";

/**
 * The signature a topic requires: the verifier of the first signed rule
 * matching it, and that rule.
 *
 * @example Verify a signed publish before fan-out
 * ```ts
 * import { compileAcl } from "@realtime/hub/acl";
 *
 * const acl = compileAcl({
 *   rules: [{
 *     effect: "allow",
 *     actions: ["publish"],
 *     topics: ["prices:*"],
 *     signed: { keys: "a publication secret of at least 32 bytes" },
 *   }],
 * });
 * const required = acl.signingFor("prices:eur");
 * required?.rule.pattern; // "prices:*"
 * acl.signingFor("chat:lobby"); // undefined: no signature required
 * ```
 */
export interface AclSignatureRequirement {
  /** Verifies publications to the topic; it holds the pattern's replay memory. */
  readonly verifier: PublicationVerifier;
  /** The deciding rule: its index, its `id` when it has one, and the pattern that matched. */
  readonly rule: { readonly index: number; readonly id?: string; readonly pattern: string };
}

const SIGNED_FIELDS = new Set(["keys", "algorithms", "replayWindowMs", "maxJwsBytes"]);

function verifierOptions(signed: AclSigning): PublicationVerifierOptions {
  return {
    keys: signed.keys,
    algorithms: signed.algorithms === undefined ? undefined : [...signed.algorithms],
    replayWindowMs: signed.replayWindowMs,
    maxJwsBytes: signed.maxJwsBytes,
  };
}

/** Every problem of a rule's `signed`, as messages to prefix with the rule's label. */
export function signedProblems(rule: Record<string, unknown>): string[] {
  const signed = rule.signed;
  if (typeof signed !== "object" || signed === null || Array.isArray(signed)) {
    return [`signed must be an object with 'keys', got ${kindOf(signed)}`];
  }
  const out: string[] = [];
  for (const key of Object.keys(signed)) {
    if (!SIGNED_FIELDS.has(key)) out.push(`signed has unknown field ${quote(key)}`);
  }
  if (rule.effect !== "allow") out.push("signed applies only to allow rules");
  const actions = rule.actions;
  if (actions !== "*" && !(Array.isArray(actions) && actions.includes("publish"))) {
    out.push("signed needs the rule to cover 'publish'");
  }
  if (
    Array.isArray(rule.topics) && rule.topics.some((t) => typeof t === "string" && t.includes("{"))
  ) {
    out.push(
      "signed topics cannot use templates: which topics need a signature must not depend on who publishes",
    );
  }
  const s = signed as Record<string, unknown>;
  if (s.keys === undefined) out.push("signed needs 'keys'");
  else if (out.length === 0) {
    try {
      createPublicationVerifier(verifierOptions(s as unknown as AclSigning));
    } catch (error) {
      // Key errors name the key type and the algorithm, never key material.
      out.push(`signed: ${(error as Error).message}`);
    }
  }
  return out;
}

interface SignedEntry {
  readonly requirement: AclSignatureRequirement;
  readonly split: SplitPattern;
}

/**
 * The signed rules of a compiled ACL, each pattern with its verifier, in
 * rule order. Each signed pattern has its own replay memory, which a table
 * built to replace another takes over (see `_replay_carry.ts`), so a rules
 * update does not let a recent signed publication be published again.
 */
export class SigningTable {
  readonly #entries: SignedEntry[] = [];
  /** Each signed pattern's memories (in use or dormant) and their keys, for the next table. */
  readonly #memories = new Map<string, CarriedMemory[]>();

  /**
   * @param rules Validated rules.
   * @param previous The table of the rules these replace, if any.
   * @param now The current time, in epoch ms (dormant memories past it are dropped).
   */
  constructor(rules: readonly AclRule[], previous?: SigningTable, now: number = Date.now()) {
    const had = previous === undefined ? undefined : previous.#memories;
    rules.forEach((rule, index) => {
      if (rule.signed === undefined) return;
      const options = verifierOptions(rule.signed);
      const keys = keyIdentities(rule.signed.keys);
      for (const pattern of rule.topics) {
        const replays = carriedMemory(had?.get(pattern), keys) ?? createReplayMemory();
        const memories = this.#memories.get(pattern) ?? [];
        memories.push({ keys, memory: replays });
        this.#memories.set(pattern, memories);
        const requirement: AclSignatureRequirement = Object.freeze({
          verifier: createPublicationVerifier({ ...options, replays }),
          rule: Object.freeze(
            rule.id === undefined ? { index, pattern } : { index, id: rule.id, pattern },
          ),
        });
        this.#entries.push({ requirement, split: splitPattern(pattern) });
      }
    });
    if (had !== undefined) keepDormant(had, this.#memories, now);
  }

  /** The requirement of the first signed rule matching a concrete topic, if any. */
  find(topic: string): AclSignatureRequirement | undefined {
    if (this.#entries.length === 0) return undefined;
    if (typeof topic !== "string" || !isConcreteTopic(topic)) {
      return undefined;
    }
    const segments = topic.split(":");
    for (const entry of this.#entries) {
      if (matchSplit(entry.split, segments)) return entry.requirement;
    }
    return undefined;
  }
}
