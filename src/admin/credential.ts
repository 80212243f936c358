/**
 * Checking the admin credential of a request: an API key compared in
 * constant time, or an admin JWT carrying exp, the admin audience and the
 * admin role, and not revoked. The one check every admin route makes: the
 * admin API and the console's routes, a protected `/metrics` and the
 * accounts' user routes (not exported from the package).
 *
 * @module
 */

import { AuthError } from "../auth/errors.ts";
import type { Principal } from "../auth/principal.ts";
import { errorResponse as httpErrorResponse } from "../hub/http_body.ts";
import { type AdminAuthOptions, DEFAULT_ADMIN_AUDIENCE } from "./options.ts";

/** Who made an admin request, for the audit log (never the credential). */
export interface AdminActor {
  /** `api_key`, or the JWT's subject. */
  actor: string;
  /** How the credential was proven. */
  via: "api_key" | "jwt";
}

/** Why a request was refused. */
export interface AdminRefusal {
  status: 401 | 403 | 500;
  /**
   * For the audit log: `missing`, `invalid`, `not_configured`, `no_exp`,
   * `wrong_audience`, `revoked`, `missing_role`, `verifier_failed`.
   */
  reason: string;
  /** The subject of a valid JWT without the admin role. */
  actor?: string;
  response: Response;
}

/** Longest bearer value considered; a longer one is refused without hashing it. */
const MAX_CREDENTIAL_LENGTH = 16_384;

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Compares two equal-length digests without an early exit. */
function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ (b[i] ?? 0);
  return difference === 0;
}

/** A JSON error response in the hub's `{code, message}` shape, never cached. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return httpErrorResponse(status, code, message, { "cache-control": "no-store", ...headers });
}

function unauthorized(reason: string, message: string): AdminRefusal {
  // RFC 6750: no error code when no credential was sent.
  const challenge = reason === "missing" ? "Bearer" : 'Bearer error="invalid_token"';
  return {
    status: 401,
    reason,
    response: errorResponse(401, "AUTH_FAILED", message, { "www-authenticate": challenge }),
  };
}

function hasAudience(principal: Principal, audience: string): boolean {
  const aud = principal.claims.aud;
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/**
 * Creates the credential check. Options must have been validated with
 * `checkAdminAuthOptions`. `isRevoked` is the hub's revocation check, so a
 * revoked admin is refused here as on `/ws`; it is required with a
 * `verifier`, so no admin route can accept JWTs without asking it.
 *
 * @throws {TypeError} When `verifier` is set and `isRevoked` is not a function.
 */
export function createAdminAuth(
  options: AdminAuthOptions,
  isRevoked: ((principal: Principal) => boolean) | undefined,
): (req: Request) => Promise<AdminActor | AdminRefusal> {
  const { apiKey, verifier } = options;
  if (verifier !== undefined && typeof isRevoked !== "function") {
    throw new TypeError(
      "Cannot check admin JWTs without the hub's revocations ('isRevoked'): a revoked admin would be let in",
    );
  }
  // Only reached with a verifier, which the check above pairs with isRevoked.
  const revoked = isRevoked ?? (() => true);
  const adminRole = options.adminRole ?? "admin";
  const adminAudience = options.audience ?? DEFAULT_ADMIN_AUDIENCE;
  let keyDigest: Promise<Uint8Array> | undefined;

  return async function authenticate(req) {
    if (apiKey === undefined && verifier === undefined) {
      return unauthorized("not_configured", "Admin access is not configured");
    }
    const header = req.headers.get("authorization");
    const match = header === null ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (match === null) return unauthorized("missing", "Admin credential is missing");
    const credential = match[1];
    if (credential.length > MAX_CREDENTIAL_LENGTH) {
      return unauthorized("invalid", "Admin credential is invalid");
    }
    if (apiKey !== undefined) {
      keyDigest ??= sha256(apiKey);
      const [expected, given] = await Promise.all([keyDigest, sha256(credential)]);
      if (digestsEqual(expected, given)) return { actor: "api_key", via: "api_key" };
    }
    if (verifier === undefined) return unauthorized("invalid", "Admin credential is invalid");
    let principal;
    try {
      principal = await verifier.verify(credential);
    } catch (error) {
      if (error instanceof AuthError) return unauthorized("invalid", "Admin credential is invalid");
      return {
        status: 500,
        reason: "verifier_failed",
        response: errorResponse(500, "INTERNAL", "Admin authentication failed unexpectedly"),
      };
    }
    // A hub token (another audience) or one that never expires is not an admin credential.
    if (principal.expiresAt === null) {
      return unauthorized("no_exp", "Admin token must carry 'exp'");
    }
    if (!hasAudience(principal, adminAudience)) {
      return unauthorized("wrong_audience", `Admin token audience must include '${adminAudience}'`);
    }
    if (revoked(principal)) {
      return unauthorized("revoked", "Admin token has been revoked");
    }
    if (!principal.roles.includes(adminRole)) {
      return {
        status: 403,
        reason: "missing_role",
        actor: principal.sub,
        response: errorResponse(403, "FORBIDDEN", `The '${adminRole}' role is required`),
      };
    }
    return { actor: principal.sub, via: "jwt" };
  };
}

/** Throws a TypeError or RangeError naming the first bad credential option. */
export function checkAdminAuthOptions(options: AdminAuthOptions, what: string): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot create ${what} as 'options' is not an object`);
  }
  const { apiKey, verifier, adminRole, audience } = options;
  if (apiKey !== undefined) {
    if (typeof apiKey !== "string") {
      throw new TypeError(`Cannot create ${what} as 'apiKey' is not a string`);
    }
    if (apiKey.length < 16) {
      throw new RangeError(
        `Cannot create ${what} as 'apiKey' has ${apiKey.length} characters: at least 16 are required`,
      );
    }
  }
  if (
    verifier !== undefined &&
    (typeof verifier !== "object" || verifier === null || typeof verifier.verify !== "function")
  ) {
    throw new TypeError(`Cannot create ${what} as 'verifier' is not a TokenVerifier`);
  }
  if (adminRole !== undefined && (typeof adminRole !== "string" || adminRole.length === 0)) {
    throw new TypeError(`Cannot create ${what} as 'adminRole' is not a non-empty string`);
  }
  if (audience !== undefined && (typeof audience !== "string" || audience.length === 0)) {
    throw new TypeError(`Cannot create ${what} as 'audience' is not a non-empty string`);
  }
}
