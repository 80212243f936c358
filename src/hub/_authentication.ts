// The hub's token checks: the verifier (from `auth`, or one given), the
// revocations every verified token is checked against, and how long a
// revocation must be kept. Internal.

import type { Principal } from "../auth/principal.ts";
import { AuthError } from "../auth/errors.ts";
import { readRoles } from "../auth/roles.ts";
import { createRevocations, type Revocations } from "../auth/revocations.ts";
import { createTokenVerifier, type TokenVerifier } from "../auth/verify.ts";
import type { Clock } from "./clock.ts";
import type { HubOptions } from "./options.ts";
import type { WarmUpParts } from "./_warm_up.ts";

/** The authentication slice of the hub's options. */
export type AuthenticationOptions = Pick<
  HubOptions,
  "auth" | "verifier" | "authenticate" | "revocationTtlMs"
>;

/** The token checks of one hub, created by {@linkcode createAuthentication}. */
export interface Authentication {
  /** The verifier, absent when only `authenticate` decides. */
  readonly verifier: TokenVerifier | undefined;
  /** Verifies a token and refuses a revoked one. */
  verify(token: string): Promise<Principal>;
  readonly revocations: Revocations;
  /** How long a revocation must be kept (ms): `Infinity` when token lifetimes are unbounded. */
  readonly revocationKeepMs: number;
  /** The principal `explain` decides for: `sub`, and roles from the roles claim. */
  principalOf(claims: Readonly<Record<string, unknown>>): Principal;
  /** What warm-up signs and verifies its made-up token with. */
  readonly warmUp: Pick<WarmUpParts, "verifier" | "secret" | "issuer" | "audience">;
}

const first = (value: string | string[] | undefined) => Array.isArray(value) ? value[0] : value;

/** Checks the authentication options and creates the verifier and revocations. */
export function createAuthentication(
  options: AuthenticationOptions,
  clock: Clock,
): Authentication {
  if (options.auth !== undefined && options.verifier !== undefined) {
    throw new TypeError("Cannot create hub with both 'auth' and 'verifier': give one");
  }
  const auth = options.auth;
  const verifier: TokenVerifier | undefined = options.verifier ??
    (auth !== undefined ? createTokenVerifier({ now: clock.now, ...auth }) : undefined);
  if (verifier === undefined && options.authenticate === undefined) {
    throw new TypeError("Cannot create hub without 'auth', 'verifier' or 'authenticate'");
  }
  // A cut-off may be dropped only once every token issued before it has
  // expired: known only when the verifier bounds token lifetimes.
  const lifetimeSec = auth?.maxTokenLifetimeSec;
  const revocationKeepMs = options.revocationTtlMs ??
    (lifetimeSec === undefined ? Infinity : (lifetimeSec + (auth?.clockToleranceSec ?? 5)) * 1000);
  const revocations = createRevocations({ now: clock.now, keepMs: revocationKeepMs });
  const rolesClaim = auth?.rolesClaim ?? "roles";

  return {
    verifier,
    async verify(token) {
      if (verifier === undefined) throw new AuthError("invalid");
      const principal = await verifier.verify(token);
      revocations.check(principal);
      return principal;
    },
    revocations,
    revocationKeepMs,
    principalOf(claims) {
      const sub = typeof claims.sub === "string" ? claims.sub : "";
      return { sub, roles: readRoles(claims, rolesClaim), claims, expiresAt: null };
    },
    warmUp: {
      verifier,
      secret: auth?.secret,
      issuer: first(auth?.issuer),
      audience: first(auth?.audience),
    },
  };
}
