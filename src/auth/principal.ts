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
}
