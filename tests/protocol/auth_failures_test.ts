// The refusal messages are a wire contract: docs/protocol.md's table lists
// each with its reason and remedy, AuthError sends exactly those texts, and
// the client's decision after 4001 follows the remedy.

import assert from "node:assert/strict";
import {
  AUTH_FAILURE_MESSAGES,
  AUTH_FAILURE_REMEDIES,
  type AuthFailureReason,
  authFailureReason,
} from "../../src/protocol/auth_failures.ts";
import { AuthError } from "../../src/auth/errors.ts";
import { authClosePolicy } from "../../src/client/close_policy.ts";

const REASONS = Object.keys(AUTH_FAILURE_MESSAGES) as AuthFailureReason[];

Deno.test("AUTH_FAILURE_MESSAGES is what AuthError sends, and reads back to its reason", () => {
  for (const reason of REASONS) {
    assert.equal(new AuthError(reason).message, AUTH_FAILURE_MESSAGES[reason]);
    assert.equal(authFailureReason(AUTH_FAILURE_MESSAGES[reason]), reason);
  }
  assert.equal(authFailureReason("Token signature is invalid!"), undefined);
});

Deno.test("docs/protocol.md lists every refusal message with its reason and remedy", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/protocol.md", import.meta.url));
  const rows = new Map<string, { message: string; never: boolean; later: boolean }>();
  for (const line of doc.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const reason = /^`([a-z_]+)`$/.exec(cells[2] ?? "")?.[1];
    const message = /^`(Token [^`]+)`$/.exec(cells[1] ?? "")?.[1];
    if (reason === undefined || message === undefined) continue;
    rows.set(reason, {
      message,
      never: cells[3].startsWith("never"),
      later: cells[3].includes("same token"),
    });
  }
  assert.deepEqual([...rows.keys()].sort(), [...REASONS].sort());
  for (const reason of REASONS) {
    const row = rows.get(reason)!;
    assert.equal(row.message, AUTH_FAILURE_MESSAGES[reason], reason);
    assert.equal(row.never, AUTH_FAILURE_REMEDIES[reason] === "never", reason);
    assert.equal(row.later, AUTH_FAILURE_REMEDIES[reason] === "later", reason);
  }
});

Deno.test("authClosePolicy follows the remedy of the close reason or the error before it", () => {
  const action = { never: "stop", later: "reconnect", new_token: "refresh" } as const;
  for (const reason of REASONS) {
    const message = AUTH_FAILURE_MESSAGES[reason];
    const want = { action: action[AUTH_FAILURE_REMEDIES[reason]], reason };
    assert.deepEqual(authClosePolicy(message), want, reason);
    assert.deepEqual(authClosePolicy("Authentication failed", message), want, reason);
  }
  assert.deepEqual(authClosePolicy("Token expired"), { action: "refresh", reason: "expired" });
  assert.deepEqual(authClosePolicy("Authentication timeout"), { action: "reconnect" });
  // Words the protocol does not name: a new token, once, as before.
  assert.deepEqual(authClosePolicy("Token subject changed"), { action: "refresh" });
  assert.deepEqual(authClosePolicy(""), { action: "refresh" });
});
