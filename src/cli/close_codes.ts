/**
 * What the hub's WebSocket close codes mean for the CLI: an exit code. The
 * description and whether to reconnect come from the client's close-action
 * table (see docs/protocol.md, "Close codes").
 *
 * @module
 */

import { closePolicy } from "../client/close_policy.ts";
import { CloseCode } from "../protocol/codes.ts";
import { ExitCode } from "./errors.ts";

/**
 * Names a WebSocket close code.
 *
 * @param code The close code.
 * @returns A short description, such as `server going away`.
 */
export function describeCloseCode(code: number): string {
  return closePolicy(code).description;
}

/**
 * The exit code for a connection closed by the hub with `code`.
 *
 * @param code The close code.
 * @returns 0 for a normal close, 2 for authentication or revocation, 1 for
 * protocol violations and oversized frames, 3 otherwise.
 */
export function exitCodeForClose(code: number): ExitCode {
  switch (code) {
    case CloseCode.Normal:
      return ExitCode.Ok;
    case CloseCode.AuthFailed:
    case CloseCode.Revoked:
      return ExitCode.Auth;
    case CloseCode.ProtocolViolation:
    case CloseCode.TooLarge:
      return ExitCode.Usage;
    default:
      return ExitCode.Connection;
  }
}

/**
 * Whether the CLI reconnects after `code`: only where the close-action table
 * says "reconnect" (the CLI cannot fetch a new token, so not after 4001).
 *
 * @param code The close code.
 * @returns Whether to reconnect.
 */
export function shouldReconnect(code: number): boolean {
  return closePolicy(code).action === "reconnect";
}
