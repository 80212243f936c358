/** Maps jose's errors to AuthError without carrying their messages, payloads or causes. */

import { errors } from "./jose.ts";
import { AuthError, type AuthFailureReason } from "./errors.ts";

const CLAIM_REASONS: Readonly<Record<string, AuthFailureReason>> = {
  nbf: "not_yet_valid",
  iss: "bad_issuer",
  aud: "bad_audience",
  exp: "expired",
};

/** The AuthError for any failure of `jwtVerify`. */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) return new AuthError("expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    // A missing or non-numeric exp (with requireExp) is not an expiry: the client cannot refresh it.
    const reason = error.claim === "exp" ? "invalid" : CLAIM_REASONS[error.claim] ?? "invalid";
    return new AuthError(reason);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthError("bad_signature");
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new AuthError("alg_not_allowed");
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new AuthError("malformed");
  }
  return new AuthError("invalid");
}
