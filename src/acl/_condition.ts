/**
 * Compiled `when` conditions.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import type { AclCondition } from "./rules.ts";
import { readClaim } from "./_claims.ts";

/** A `when` ready to evaluate: a role set and claim paths with expected values. */
export interface Condition {
  /** Whether the principal must be anonymous (`true`) or a token holder (`false`); `undefined`: either. */
  readonly anonymous: boolean | undefined;
  readonly roles: ReadonlySet<string> | undefined;
  readonly claims: readonly { readonly path: readonly string[]; readonly value: unknown }[];
}

/**
 * Compiles a validated condition; `undefined` means the rule always applies.
 * An allow rule applies to the anonymous principal only when it says
 * `anonymous: true`, so a rule written for "anyone with a token" cannot
 * reach a token-less connection; a deny rule applies to it unless it says
 * `anonymous: false`.
 */
export function compileCondition(
  when: AclCondition | undefined,
  effect: "allow" | "deny",
): Condition | undefined {
  const anonymous = when?.anonymous ?? (effect === "allow" ? false : undefined);
  if (when === undefined && anonymous === undefined) return undefined;
  return {
    anonymous,
    roles: when?.roles === undefined ? undefined : new Set(when.roles),
    claims: Object.entries(when?.claims ?? {}).map(([path, value]) => ({
      path: path.split("."),
      value,
    })),
  };
}

/** Whether `condition` holds for `principal`. */
export function conditionHolds(condition: Condition | undefined, principal: Principal): boolean {
  if (condition === undefined) return true;
  if (condition.anonymous !== undefined && condition.anonymous !== (principal.anonymous === true)) {
    return false;
  }
  if (condition.roles !== undefined) {
    const roles = principal.roles;
    if (!Array.isArray(roles)) return false;
    let any = false;
    for (const role of roles) {
      if (condition.roles.has(role)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  for (const { path, value } of condition.claims) {
    if (readClaim(principal.claims, path) !== value) return false;
  }
  return true;
}
