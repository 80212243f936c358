/**
 * What a client does after the hub closes its connection: one table, keyed by
 * the protocol's {@linkcode CloseCode}, that {@linkcode RealtimeClient} and
 * the CLI both read (see docs/protocol.md, "Close codes").
 *
 * @module
 */

import { CloseCode } from "../protocol/codes.ts";
import {
  AUTH_FAILURE_REMEDIES,
  type AuthFailureReason,
  authFailureReason,
} from "../protocol/auth_failures.ts";
import type { RealtimeErrorCode } from "./errors.ts";

/**
 * What to do after a close:
 *
 * - `"reconnect"`: reconnect after a back-off, then resubscribe.
 * - `"refresh"`: reconnect only with a new token (get one first).
 * - `"stop"`: do not reconnect; the close is final.
 */
export type CloseAction = "reconnect" | "refresh" | "stop";

/** The policy for one close code. */
export interface ClosePolicy {
  /** What to do. */
  readonly action: CloseAction;
  /** A short description of the code, such as `server going away`. */
  readonly description: string;
  /**
   * For `"stop"`: the {@linkcode RealtimeError} code a client stops with
   * (`"CLOSED"` when none is given).
   */
  readonly errorCode?: RealtimeErrorCode;
}

/**
 * The action for every {@linkcode CloseCode}. A code missing here fails type
 * checking, so a new close code cannot ship without a decision.
 *
 * @example Look up what to do after an access revocation
 * ```ts
 * import { CLOSE_POLICY } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * assert.equal(CLOSE_POLICY[4003].action, "stop"); // CloseCode.Revoked
 * assert.equal(CLOSE_POLICY[4001].action, "refresh"); // CloseCode.AuthFailed
 * ```
 */
export const CLOSE_POLICY: Readonly<Record<CloseCode, ClosePolicy>> = {
  [CloseCode.Normal]: { action: "stop", description: "normal closure" },
  [CloseCode.GoingAway]: { action: "reconnect", description: "server going away" },
  // Sending the same frame again would be refused again: fix the client.
  [CloseCode.TooLarge]: { action: "stop", description: "frame too large", errorCode: "TOO_LARGE" },
  [CloseCode.ProtocolViolation]: {
    action: "stop",
    description: "protocol violation",
    errorCode: "BAD_REQUEST",
  },
  [CloseCode.AuthFailed]: {
    action: "refresh",
    description: "authentication failed or token expired",
  },
  [CloseCode.Revoked]: { action: "stop", description: "access revoked", errorCode: "FORBIDDEN" },
  [CloseCode.Overloaded]: { action: "reconnect", description: "overloaded" },
};

// Codes the hub does not send itself but a client sees: the runtime's or a proxy's.
const OTHER_CODES: Readonly<Record<number, string>> = {
  1006: "connection lost",
  1011: "server error",
  1012: "service restart",
};

/**
 * The policy for any close code: the table's entry for a {@linkcode CloseCode},
 * else reconnect (network loss, 1006, a proxy's or runtime's codes).
 *
 * @param code The WebSocket close code.
 * @returns The action and a description.
 *
 * @example Decide after a lost connection
 * ```ts
 * import { closePolicy } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(closePolicy(1006), { action: "reconnect", description: "connection lost" });
 * assert.equal(closePolicy(4003).action, "stop");
 * ```
 */
export function closePolicy(code: number): ClosePolicy {
  if (Object.hasOwn(CLOSE_POLICY, code)) return CLOSE_POLICY[code as CloseCode];
  return { action: "reconnect", description: OTHER_CODES[code] ?? "closed" };
}

/** What {@linkcode authClosePolicy} decided about a 4001. */
export interface AuthClosePolicy {
  /**
   * `"refresh"`: reconnect with a new token (the same one would be refused);
   * `"reconnect"`: reconnect after a back-off, the same token may pass;
   * `"stop"`: do not reconnect, a new token from the same issuer would be
   * refused for the same reason.
   */
  readonly action: CloseAction;
  /** Why the hub refused the token, when its words name a reason. */
  readonly reason?: AuthFailureReason;
}

/**
 * What to do after close 4001, from what the hub said: the close reason (a
 * refused upgrade with `reject: "close"`, the token's expiry) or the
 * `AUTH_FAILED` / `TOKEN_EXPIRED` error frame sent before it. A reason the
 * protocol does not name keeps the table's `"refresh"`.
 *
 * @param reason The close reason.
 * @param errorMessage The message of the authentication error frame before the close, if any.
 * @returns The action and, when known, the reason.
 *
 * @example A bad signature is final; an expired token wants a new one
 * ```ts
 * import { authClosePolicy } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(authClosePolicy("Token signature is invalid"), {
 *   action: "stop",
 *   reason: "bad_signature",
 * });
 * assert.equal(authClosePolicy("Authentication failed", "Token has expired").action, "refresh");
 * assert.equal(authClosePolicy("Authentication timeout").action, "reconnect");
 * ```
 */
export function authClosePolicy(reason: string, errorMessage?: string): AuthClosePolicy {
  // The first-message deadline passed: a slow start, not a bad token.
  if (reason === "Authentication timeout") return { action: "reconnect" };
  // A live connection reached its token's exp.
  if (reason === "Token expired") return { action: "refresh", reason: "expired" };
  const known = authFailureReason(reason) ??
    (errorMessage === undefined ? undefined : authFailureReason(errorMessage));
  if (known === undefined) return { action: "refresh" };
  const remedy = AUTH_FAILURE_REMEDIES[known];
  const action = remedy === "never" ? "stop" : remedy === "later" ? "reconnect" : "refresh";
  return { action, reason: known };
}
