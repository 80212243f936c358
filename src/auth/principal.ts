/**
 * The authenticated identity behind a connection.
 *
 * @module
 */

/**
 * Who is on the other end of a connection, as established by token
 * verification or by an application's own `authenticate` hook.
 *
 * @example Build a principal by hand (in an `authenticate` hook)
 * ```ts
 * import type { Principal } from "@realtime/hub";
 *
 * const principal: Principal = {
 *   sub: "alice",
 *   roles: ["member"],
 *   claims: { sub: "alice", org: "acme" },
 *   expiresAt: null,
 * };
 * ```
 */
export interface Principal {
  /** The subject (user id): the token's `sub` claim. */
  readonly sub: string;
  /** Roles read from the configured roles claim (default `roles`). */
  readonly roles: readonly string[];
  /** The whole verified claim set. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** When the credential stops being valid, in epoch milliseconds, or `null` when it never expires. */
  readonly expiresAt: number | null;
  /**
   * `true` only for {@linkcode ANONYMOUS_PRINCIPAL}, a connection that
   * offered no token to a hub with `anonymous: true`. Never set from a
   * token. Allow rules apply to it only when their `when` says
   * `anonymous: true`.
   *
   * @default {undefined}
   */
  readonly anonymous?: boolean;
}

/**
 * Who a token-less connection is on a hub with `anonymous: true`: `sub`
 * `"anonymous"`, no roles, no claims (so no token capabilities), no expiry.
 * It gets only what allow rules with `when: { anonymous: true }` grant. The
 * name is reserved: a token whose `sub` is `"anonymous"` is refused
 * (`reserved_sub`) and cannot be minted, and such a connection cannot
 * authenticate later with an `auth` frame.
 *
 * @example Tell the anonymous principal from a user
 * ```ts
 * import { ANONYMOUS_PRINCIPAL } from "@realtime/hub/auth";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ANONYMOUS_PRINCIPAL.anonymous, true);
 * assert.deepEqual(ANONYMOUS_PRINCIPAL.claims, {});
 * ```
 */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({
  sub: "anonymous",
  roles: Object.freeze([]),
  claims: Object.freeze({}),
  expiresAt: null,
  anonymous: true,
});
