/**
 * The error raised when a token cannot be accepted.
 *
 * @module
 */

import type { ErrorCode } from "../protocol/codes.ts";
import { HubError } from "../protocol/errors.ts";
import {
  AUTH_FAILURE_MESSAGES as MESSAGES,
  type AuthFailureReason,
} from "../protocol/auth_failures.ts";

/**
 * Why a token was rejected: the protocol's vocabulary, whose messages are
 * the only detail clients see.
 */
export type { AuthFailureReason };

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
