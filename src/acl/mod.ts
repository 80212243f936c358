/**
 * The topic ACL: rules, templates, token capabilities, the compiler that
 * decides, and the linter behind `realtime acl check`.
 *
 * @example Compile rules and decide
 * ```ts
 * import { compileAcl } from "@realtime/hub/acl";
 * import assert from "node:assert/strict";
 *
 * const acl = compileAcl({ rules: [{ effect: "allow", actions: ["subscribe"], topics: ["user:{sub}"] }] });
 * const alice = { sub: "alice", roles: [], capabilities: undefined, claims: {}, expiresAt: null };
 * assert.equal(acl.decide(alice as never, "subscribe", "user:alice").allowed, true);
 * ```
 *
 * @module
 */

export * from "./rules.ts";
export * from "./template.ts";
export * from "./capabilities.ts";
export * from "./compile.ts";
export * from "./lint.ts";
export * from "./rules_error.ts";
export type { AclSignatureRequirement } from "./signing.ts";
