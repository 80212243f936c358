import assert from "node:assert/strict";
import { AuthError, type AuthFailureReason } from "../../src/auth/errors.ts";

const REASONS: AuthFailureReason[] = [
  "missing",
  "too_large",
  "malformed",
  "alg_not_allowed",
  "unknown_kid",
  "bad_signature",
  "expired",
  "not_yet_valid",
  "bad_issuer",
  "bad_audience",
  "missing_sub",
  "jwks_unavailable",
  "invalid",
];

Deno.test("AuthError maps expired to TOKEN_EXPIRED and every other reason to AUTH_FAILED", () => {
  for (const reason of REASONS) {
    const error = new AuthError(reason);
    assert.equal(error.reason, reason);
    assert.equal(error.code, reason === "expired" ? "TOKEN_EXPIRED" : "AUTH_FAILED");
    assert.equal(error.name, "AuthError");
    assert.match(error.message, /^Token [a-z ]+[a-z]$/);
  }
  assert.equal(new AuthError("expired").message, "Token has expired");
  assert.equal(new AuthError("bad_signature").message, "Token signature is invalid");
});

Deno.test("AuthError treats an unknown reason as invalid", () => {
  const error = new AuthError("surprise" as AuthFailureReason);
  assert.equal(error.reason, "invalid");
  assert.equal(error.message, "Token is invalid");
});
