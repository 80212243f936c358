// What the client does after the hub closed with 4001 (authentication failed
// or token expired): a pure decision from the close reason, the hub's last
// error frame, and whether `getToken` can still be asked for a new token.

import type { ErrorFrame } from "../protocol/frames.ts";
import { authClosePolicy } from "./close_policy.ts";
import { RealtimeError } from "./errors.ts";

/**
 * `stop`: no token will pass; `reconnect`: back off and try the same token
 * again (the hub could not check it now); `retry`: ask `getToken` for a new
 * token and connect again at once.
 */
export type AuthRefusal = [
  action: "stop" | "reconnect" | "retry",
  /** Why, for the `state` event or the client's `error`. */
  error: RealtimeError,
];

/**
 * Stops when the hub's reason says no token from the same issuer can pass,
 * backs off when it could not check the token now, else asks `getToken` once
 * for a new one.
 *
 * @param code The close code (4001).
 * @param reason The close reason.
 * @param said The hub's last error frame that answered no request, if any.
 * @param hasGetToken Whether `getToken` was given.
 * @param retried Whether `getToken` was already asked after a refusal, with no welcome since.
 */
export function authRefusal(
  code: number,
  reason: string,
  said: ErrorFrame | undefined,
  hasGetToken: boolean,
  retried: boolean,
): AuthRefusal {
  const detail = reason === "" ? `${code}` : `${code}: ${reason}`;
  const policy = authClosePolicy(reason, said?.message);
  const authReason = policy.reason;
  // The hub's own words, when its close reason only says "Authentication failed".
  const why = said !== undefined && said.message !== reason ? `${detail}; ${said.message}` : detail;
  if (policy.action === "reconnect") {
    return [
      "reconnect",
      new RealtimeError("AUTH_FAILED", `The hub could not check the token now (${why})`, {
        retry: true,
        closeCode: code,
        authReason,
      }),
    ];
  }
  if (policy.action === "stop") {
    return [
      "stop",
      new RealtimeError(
        "AUTH_FAILED",
        `The hub refused the token (${why}): a new one from the same issuer would be refused too`,
        { closeCode: code, authReason },
      ),
    ];
  }
  if (!hasGetToken || retried) {
    const expired = authReason === "expired" || said?.code === "TOKEN_EXPIRED" ||
      reason.toLowerCase().includes("expired");
    return [
      "stop",
      new RealtimeError(
        expired ? "TOKEN_EXPIRED" : "AUTH_FAILED",
        hasGetToken
          ? `The hub refused the token (${why}), also after getToken() gave a new one`
          : `The hub refused the token (${why}) and no getToken was given`,
        { closeCode: code, authReason },
      ),
    ];
  }
  return [
    "retry",
    new RealtimeError("AUTH_FAILED", `The hub refused the token (${why}): getting a new one`, {
      retry: true,
      closeCode: code,
      authReason,
    }),
  ];
}
