/**
 * Why the hub refused a token, as the wire says it: one message per reason
 * (the `message` of an `AUTH_FAILED` or `TOKEN_EXPIRED` error frame, the
 * 4001 close reason of a refused upgrade, the HTTP 401 body), and what a
 * client can do about each. See docs/protocol.md, "Authentication".
 *
 * @module
 */

/**
 * Why a token was rejected. Stable: callers may switch on it, log it and
 * count it. Clients see it only as its {@linkcode AUTH_FAILURE_MESSAGES}
 * message.
 */
export type AuthFailureReason =
  | "missing"
  | "too_large"
  | "malformed"
  | "alg_not_allowed"
  | "unknown_kid"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "bad_issuer"
  | "bad_audience"
  | "missing_sub"
  | "reserved_sub"
  | "jwks_unavailable"
  | "revoked"
  | "invalid";

/** The message the hub sends for each {@linkcode AuthFailureReason}. */
export const AUTH_FAILURE_MESSAGES: Readonly<Record<AuthFailureReason, string>> = {
  missing: "Token is missing",
  too_large: "Token is too large",
  malformed: "Token is malformed",
  alg_not_allowed: "Token algorithm is not allowed",
  unknown_kid: "Token signing key is unknown",
  bad_signature: "Token signature is invalid",
  expired: "Token has expired",
  not_yet_valid: "Token is not yet valid",
  bad_issuer: "Token issuer is not accepted",
  bad_audience: "Token audience is not accepted",
  missing_sub: "Token has no valid subject",
  reserved_sub: "Token subject is reserved",
  jwks_unavailable: "Token signing keys are unavailable",
  revoked: "Token has been revoked",
  invalid: "Token is invalid",
};

/**
 * What a client can do after a refusal:
 *
 * - `"new_token"`: the same token will be refused again, a newly issued one
 *   may not be (it expired, was revoked, was signed by a key since rotated).
 * - `"later"`: the hub could not check the token now; the same token may be
 *   accepted after a back-off.
 * - `"never"`: the token or the issuer's setup is wrong (signature, format,
 *   algorithm, issuer, audience); asking the same issuer again gives a token
 *   refused for the same reason, so retrying only loops.
 */
export type AuthFailureRemedy = "new_token" | "later" | "never";

/** The {@linkcode AuthFailureRemedy} of each {@linkcode AuthFailureReason}. */
export const AUTH_FAILURE_REMEDIES: Readonly<Record<AuthFailureReason, AuthFailureRemedy>> = {
  missing: "new_token",
  too_large: "never",
  malformed: "never",
  alg_not_allowed: "never",
  unknown_kid: "new_token",
  bad_signature: "never",
  expired: "new_token",
  not_yet_valid: "new_token",
  bad_issuer: "never",
  bad_audience: "never",
  missing_sub: "never",
  reserved_sub: "never",
  jwks_unavailable: "later",
  revoked: "new_token",
  invalid: "never",
};

const BY_MESSAGE: ReadonlyMap<string, AuthFailureReason> = new Map(
  Object.entries(AUTH_FAILURE_MESSAGES).map(([reason, message]) => [
    message,
    reason as AuthFailureReason,
  ]),
);

/**
 * The reason a hub's refusal message stands for.
 *
 * @param message An error frame's `message` or a 4001 close reason.
 * @returns The reason, or `undefined` for any other text.
 *
 * @example Read a refused upgrade's close reason
 * ```ts
 * import { AUTH_FAILURE_REMEDIES, authFailureReason } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * const reason = authFailureReason("Token signature is invalid");
 * assert.equal(reason, "bad_signature");
 * assert.equal(AUTH_FAILURE_REMEDIES[reason], "never");
 * assert.equal(authFailureReason("Server shutting down"), undefined);
 * ```
 */
export function authFailureReason(message: string): AuthFailureReason | undefined {
  return BY_MESSAGE.get(message);
}
