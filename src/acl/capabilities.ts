/**
 * Token capabilities: a claim mapping patterns to the actions they grant, as
 * Ably capabilities work, such as
 * `{"chat:*": ["subscribe", "publish"], "user:alice": ["*"]}`.
 *
 * `"*"` in an action list means every action. A pattern key follows the topic
 * grammar, so `*` is one segment and `**` is every topic. The claim may also
 * be a JSON string encoding such an object. A malformed claim grants nothing.
 *
 * @module
 */

import { ACL_ACTIONS, type AclAction } from "./rules.ts";
import { validatePattern } from "../topic/topic.ts";
import { kindOf, quote } from "../topic/quote.ts";

/**
 * One capability: a pattern and the actions it grants.
 *
 * @example A capability granting chat
 * ```ts
 * import type { CapabilityEntry } from "@realtime/hub/acl";
 *
 * const entry: CapabilityEntry = { pattern: "chat:*", actions: ["subscribe", "publish"] };
 * ```
 */
export interface CapabilityEntry {
  /** The pattern the capability covers. */
  readonly pattern: string;
  /** The granted actions, with `"*"` already expanded to all of them. */
  readonly actions: readonly AclAction[];
}

/**
 * The outcome of {@linkcode parseCapabilities}.
 *
 * @example Branch on the outcome
 * ```ts
 * import { parseCapabilities, type CapabilityParseResult } from "@realtime/hub/acl";
 *
 * const result: CapabilityParseResult = parseCapabilities({ "chat:*": ["*"] });
 * const count = result.ok ? result.entries.length : 0; // 1
 * ```
 */
export type CapabilityParseResult =
  | { readonly ok: true; readonly entries: readonly CapabilityEntry[] }
  | { readonly ok: false; readonly message: string };

/**
 * Parses a capability claim. Any problem rejects the whole claim, so a
 * malformed claim grants nothing rather than part of what it says.
 *
 * @param claim The claim value: an object mapping patterns to non-empty
 * arrays of actions or `"*"`, or a JSON string encoding one.
 * @returns The entries in claim order, or a message saying what is wrong.
 *
 * @example Parse valid and malformed claims
 * ```ts
 * import { parseCapabilities } from "@realtime/hub/acl";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCapabilities({ "user:alice": ["*"] }), {
 *   ok: true,
 *   entries: [{ pattern: "user:alice", actions: ["subscribe", "publish", "presence", "history"] }],
 * });
 * assert.deepEqual(parseCapabilities({ "chat:*": ["read"] }), {
 *   ok: false,
 *   message: "Capability 'chat:*' has unknown action 'read': expected subscribe, publish, presence, history or *",
 * });
 * ```
 */
export function parseCapabilities(claim: unknown): CapabilityParseResult {
  let value = claim;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return { ok: false, message: "Capability claim is a string but not valid JSON" };
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      ok: false,
      message: `Capability claim must be an object of pattern to actions, got ${kindOf(value)}`,
    };
  }
  const entries: CapabilityEntry[] = [];
  for (const [pattern, actions] of Object.entries(value)) {
    const problem = validatePattern(pattern);
    if (problem !== undefined) {
      return { ok: false, message: `Capability key is invalid: ${problem}` };
    }
    const parsed = parseActions(pattern, actions);
    if (typeof parsed === "string") return { ok: false, message: parsed };
    entries.push({ pattern, actions: parsed });
  }
  return { ok: true, entries };
}

function parseActions(pattern: string, actions: unknown): readonly AclAction[] | string {
  if (!Array.isArray(actions) || actions.length === 0) {
    return `Capability ${quote(pattern)} must list actions in a non-empty array, got ${
      Array.isArray(actions) ? "an empty array" : kindOf(actions)
    }`;
  }
  const granted = new Set<AclAction>();
  for (const action of actions) {
    if (action === "*") ACL_ACTIONS.forEach((a) => granted.add(a));
    else if (ACL_ACTIONS.includes(action)) granted.add(action);
    else {
      const seen = typeof action === "string" ? quote(action) : kindOf(action);
      return `Capability ${quote(pattern)} has unknown action ${seen}: expected ${
        ACL_ACTIONS.join(", ")
      } or *`;
    }
  }
  return ACL_ACTIONS.filter((a) => granted.has(a));
}
