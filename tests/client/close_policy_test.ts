// The close-action table: one decision per protocol close code, and what a
// 4001 (authentication) close leads to.

import assert from "node:assert/strict";
import { CLOSE_POLICY, closePolicy } from "../../src/client/close_policy.ts";
import { CloseCode } from "../../src/protocol/codes.ts";
import { authRefusal } from "../../src/client/_auth_refusal.ts";

Deno.test("CLOSE_POLICY has an action for every CloseCode and nothing else", () => {
  const codes = Object.values(CloseCode).map(Number).sort();
  assert.deepEqual(Object.keys(CLOSE_POLICY).map(Number).sort(), codes);
  for (const code of codes) {
    const policy = closePolicy(code);
    assert.ok(["reconnect", "refresh", "stop"].includes(policy.action), String(code));
    assert.notEqual(policy.description, "", String(code));
  }
});

Deno.test("closePolicy follows docs/protocol.md's close codes", () => {
  const table: [number, string][] = [
    [CloseCode.Normal, "stop"],
    [CloseCode.GoingAway, "reconnect"],
    [CloseCode.TooLarge, "stop"],
    [CloseCode.ProtocolViolation, "stop"],
    [CloseCode.AuthFailed, "refresh"],
    [CloseCode.Revoked, "stop"],
    [CloseCode.Overloaded, "reconnect"],
  ];
  for (const [code, action] of table) assert.equal(closePolicy(code).action, action, String(code));
});

Deno.test("CLOSE_POLICY names the error a client stops with", () => {
  for (const [code, policy] of Object.entries(CLOSE_POLICY)) {
    if (policy.action !== "stop") assert.equal(policy.errorCode, undefined, code);
  }
  assert.equal(closePolicy(CloseCode.Revoked).errorCode, "FORBIDDEN");
  assert.equal(closePolicy(CloseCode.ProtocolViolation).errorCode, "BAD_REQUEST");
  assert.equal(closePolicy(CloseCode.TooLarge).errorCode, "TOO_LARGE");
  assert.equal(closePolicy(CloseCode.Normal).errorCode, undefined);
});

Deno.test("closePolicy reconnects after codes the hub does not send (network loss, proxies)", () => {
  for (const code of [1006, 1011, 1012, 1013, 3000, 4999]) {
    assert.equal(closePolicy(code).action, "reconnect", String(code));
  }
  assert.equal(closePolicy(1006).description, "connection lost");
});

Deno.test("authRefusal stops, backs off or asks getToken once, by the hub's reason", () => {
  const said = (message: string) =>
    ({ type: "error", code: "AUTH_FAILED", message, retry: false }) as const;
  const table: [
    string,
    Parameters<typeof authRefusal>,
    [string, string, boolean, string | undefined, RegExp],
  ][] = [
    [
      "expired, getToken not yet asked",
      [4001, "Token expired", undefined, true, false],
      ["retry", "AUTH_FAILED", true, "expired", /\(4001: Token expired\): getting a new one$/],
    ],
    [
      "expired again after getToken gave a new one",
      [4001, "Token expired", undefined, true, true],
      ["stop", "TOKEN_EXPIRED", false, "expired", /also after getToken\(\) gave a new one$/],
    ],
    [
      "expired without getToken",
      [4001, "Token expired", undefined, false, false],
      ["stop", "TOKEN_EXPIRED", false, "expired", /and no getToken was given$/],
    ],
    [
      "a signature no new token from the issuer can fix",
      [4001, "Token signature is invalid", undefined, true, false],
      ["stop", "AUTH_FAILED", false, "bad_signature", /would be refused too$/],
    ],
    [
      "keys unavailable, said only in the error frame",
      [4001, "Authentication failed", said("Token signing keys are unavailable"), true, false],
      [
        "reconnect",
        "AUTH_FAILED",
        true,
        "jwks_unavailable",
        /\(4001: Authentication failed; Token signing keys are unavailable\)$/,
      ],
    ],
  ];
  for (const [name, args, [action, code, retry, authReason, message]] of table) {
    const [then, error] = authRefusal(...args);
    assert.deepEqual(
      [then, error.code, error.retry, error.authReason, error.closeCode],
      [action, code, retry, authReason, 4001],
      name,
    );
    assert.match(error.message, message, name);
  }
});
