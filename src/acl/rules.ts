/**
 * The shape of ACL configuration: server-side rules and where token
 * capabilities are read from.
 *
 * @module
 */

import type { PublicationKeys } from "../signing/verify.ts";

/**
 * What a principal wants to do with a topic.
 *
 * @example Ask for a decision about one action
 * ```ts
 * import type { AclAction } from "@realtime/hub";
 *
 * const action: AclAction = "subscribe";
 * ```
 */
export type AclAction = "subscribe" | "publish" | "presence" | "history";

/**
 * Every {@linkcode AclAction}, in a stable order.
 *
 * @example Check an action read from a frame
 * ```ts
 * import { type AclAction } from "@realtime/hub";
 * import { ACL_ACTIONS } from "@realtime/hub/acl";
 *
 * const raw: string = "publish";
 * const known = (ACL_ACTIONS as readonly string[]).includes(raw); // true
 * ```
 */
export const ACL_ACTIONS: readonly AclAction[] = Object.freeze([
  "subscribe",
  "publish",
  "presence",
  "history",
]);

/**
 * When a rule applies. Every present field must hold; a rule without a
 * condition always applies.
 *
 * @example Only moderators of the acme org
 * ```ts
 * import type { AclCondition } from "@realtime/hub";
 *
 * const when: AclCondition = { roles: ["moderator"], claims: { "org.id": "acme" } };
 * ```
 *
 * @example Anyone, even without a token, may read public topics (Spring's `permitAll()`)
 * ```ts
 * import type { AclRule } from "@realtime/hub";
 *
 * const rule: AclRule = {
 *   effect: "allow",
 *   actions: ["subscribe"],
 *   topics: ["public:**"],
 *   when: { anonymous: true },
 * };
 * ```
 */
export interface AclCondition {
  /** Holds when the principal has at least one of these roles. Must not be empty. @default {undefined} */
  readonly roles?: readonly string[];
  /**
   * Holds when every listed claim strictly equals its value (`1` does not
   * equal `"1"`). Keys are dotted paths into the claims: `org.id`.
   * @default {undefined}
   */
  readonly claims?: Readonly<Record<string, string | number | boolean>>;
  /**
   * `true`: holds only for the anonymous principal (a token-less connection
   * on a hub with `anonymous: true`); `false`: only for token holders. An
   * allow rule without `anonymous: true` never applies to the anonymous
   * principal, so nothing granted to "any authenticated user" reaches it; a
   * deny rule without this field applies to everyone.
   * @default {undefined}
   */
  readonly anonymous?: boolean;
}

/**
 * Requires every publication to a rule's topics to be signed (see
 * `docs/protocol.md`, "Signed publications"). The requirement belongs to the
 * topic, not to who publishes: it holds for every publisher of a matching
 * topic, whatever rule allows them and whether or not the rule's `when`
 * holds for them.
 *
 * @example Only the pricing service's key may sign prices
 * ```ts
 * import type { AclRule } from "@realtime/hub";
 *
 * const rule: AclRule = {
 *   id: "prices",
 *   effect: "allow",
 *   actions: ["subscribe", "publish"],
 *   topics: ["prices:*"],
 *   signed: { keys: "-----BEGIN PUBLIC KEY-----\n...", algorithms: ["ES256"] },
 * };
 * ```
 */
export interface AclSigning {
  /**
   * The keys that verify: a shared secret (at least 32 bytes), a PEM public
   * key or certificate, a public JWK, an `oct` JWK, or a JWK set.
   */
  readonly keys: PublicationKeys;
  /**
   * The algorithms accepted, derived from the key when omitted (a secret
   * never allows RS*, a public key never HS*, `none` is never allowed).
   * @default {undefined}
   */
  readonly algorithms?: readonly string[];
  /** How long after `iat` a publication is accepted and its `jti` remembered, in ms. @default {300_000} */
  readonly replayWindowMs?: number;
  /** Longest compact JWS accepted. @default {32_768} */
  readonly maxJwsBytes?: number;
}

/**
 * One server-side rule. Deny rules always win over allow rules; when nothing
 * allows, access is denied.
 *
 * @example Let members use team chat, but never publish to announcements
 * ```ts
 * import type { AclRule } from "@realtime/hub";
 *
 * const rules: AclRule[] = [
 *   { id: "no-announce", effect: "deny", actions: ["publish"], topics: ["chat:announce"] },
 *   { id: "team-chat", effect: "allow", actions: "*", topics: ["chat:*"], when: { roles: ["member"] } },
 *   { id: "own-inbox", effect: "allow", actions: ["subscribe"], topics: ["user:{sub}:**"] },
 * ];
 * ```
 */
export interface AclRule {
  /** Whether a match grants or refuses access. */
  readonly effect: "allow" | "deny";
  /** The actions the rule covers, or `"*"` for all of them. */
  readonly actions: readonly AclAction[] | "*";
  /**
   * Patterns the rule covers. Segments may be `*`, a final `**`, or a
   * template `{sub}` / `{claims.<path>}` filled from the principal.
   */
  readonly topics: readonly string[];
  /** When the rule applies. @default {undefined} (always) */
  readonly when?: AclCondition;
  /** A name shown in decisions and lint issues. @default {undefined} */
  readonly id?: string;
  /**
   * Require signed publications on the rule's topics. Only on allow rules
   * that cover `publish`, with topics free of templates. When several signed
   * rules match a topic, the first in rule order decides the keys.
   * @default {undefined}
   */
  readonly signed?: AclSigning;
}

/**
 * Options for {@linkcode compileAcl}.
 *
 * @example Rules plus capabilities read from the `caps` claim
 * ```ts
 * import type { AclOptions } from "@realtime/hub";
 *
 * const options: AclOptions = {
 *   rules: [{ effect: "allow", actions: ["subscribe"], topics: ["public:**"] }],
 *   capabilityClaim: "caps",
 * };
 * ```
 */
export interface AclOptions {
  /** Server-side rules, in order. @default {[]} */
  readonly rules?: readonly AclRule[];
  /**
   * The claim holding token capabilities such as
   * `{"chat:*": ["subscribe", "publish"]}`, or `false` to ignore capabilities.
   * @default {"acl"}
   */
  readonly capabilityClaim?: string | false;
}
