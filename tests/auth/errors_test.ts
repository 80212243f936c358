import assert from "node:assert/strict";
import { AuthError, type AuthFailureReason } from "../../src/auth/errors.ts";
import { HubError } from "../../src/protocol/errors.ts";

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
  "reserved_sub",
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

Deno.test("AuthError is a HubError, and an inherited property name is not a reason", () => {
  const error = new AuthError("reserved_sub");
  assert.ok(error instanceof HubError);
  assert.equal(error.retry, false);
  assert.equal(new AuthError("toString" as AuthFailureReason).reason, "invalid");
});
