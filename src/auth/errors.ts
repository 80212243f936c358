/**
 * The error raised when a token cannot be accepted.
 *
 * @module
 */

import type { ErrorCode } from "../protocol/codes.ts";
import { HubError } from "../protocol/errors.ts";

/**
 * Why a token was rejected. Stable: callers may switch on it, log it and
 * count it. Never sent to clients in more detail than {@linkcode AuthError}'s
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

/** The protocol error codes an {@linkcode AuthError} can carry. */
export type AuthErrorCode = Extract<ErrorCode, "AUTH_FAILED" | "TOKEN_EXPIRED">;

/** Options for {@linkcode AuthError}. */
export interface AuthErrorOptions {
  /**
   * The underlying failure, for operators' logs. Only set it to errors that
   * hold no token or secret (a network error, for instance).
   *
   * @default {undefined}
   */
  cause?: unknown;
}

const MESSAGES: Readonly<Record<AuthFailureReason, string>> = {
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
 * A token was rejected. The message is short, generic and safe to show to a
 * client; it never contains the token, a secret or a claim value.
 *
 * @example Tell an expired token from any other failure
 * ```ts
 * import { AuthError } from "@realtime/hub";
 *
 * const error = new AuthError("expired");
 * error.code; // "TOKEN_EXPIRED"
 * error.message; // "Token has expired"
 * new AuthError("bad_signature").code; // "AUTH_FAILED"
 * ```
 */
export class AuthError extends HubError {
  /** `TOKEN_EXPIRED` for an expired token, `AUTH_FAILED` for anything else. */
  declare readonly code: AuthErrorCode;
  /** The precise, stable reason. */
  readonly reason: AuthFailureReason;

  /**
   * Creates an error for a rejection reason.
   *
   * @param reason Why the token was rejected.
   * @param options An optional, token-free cause.
   */
  constructor(reason: AuthFailureReason, options?: AuthErrorOptions) {
    const known: AuthFailureReason = Object.hasOwn(MESSAGES, reason) ? reason : "invalid";
    super(known === "expired" ? "TOKEN_EXPIRED" : "AUTH_FAILED", MESSAGES[known], options);
    this.name = "AuthError";
    this.reason = known;
  }
}
