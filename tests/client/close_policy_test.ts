// The close-action table: one decision per protocol close code.

import assert from "node:assert/strict";
import { CLOSE_POLICY, closePolicy } from "../../src/client/close_policy.ts";
import { CloseCode } from "../../src/protocol/codes.ts";

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
