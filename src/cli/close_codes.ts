/**
 * What the hub's WebSocket close codes mean for the CLI: a name, an exit
 * code, and whether to reconnect (see docs/protocol.md, "Close codes").
 *
 * @module
 */

import { ExitCode } from "./errors.ts";

const CLOSE_CODES: Readonly<Record<number, string>> = {
  1000: "normal closure",
  1001: "server going away",
  1006: "connection lost",
  1009: "frame too large",
  1011: "server error",
  1012: "service restart",
  4000: "protocol violation",
  4001: "authentication failed or token expired",
  4003: "access revoked",
  4008: "overloaded",
};

/**
 * Names a WebSocket close code.
 *
 * @param code The close code.
 * @returns A short description, such as `server going away`.
 */
export function describeCloseCode(code: number): string {
  return CLOSE_CODES[code] ?? "closed";
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
    case 1000:
      return ExitCode.Ok;
    case 4001:
    case 4003:
      return ExitCode.Auth;
    case 4000:
    case 1009:
      return ExitCode.Usage;
    default:
      return ExitCode.Connection;
  }
}

/** Whether a client should reconnect after `code` (1001, 4008, network loss, server errors). */
export function shouldReconnect(code: number): boolean {
  return code !== 1000 && code !== 1009 && code !== 4000 && code !== 4001 && code !== 4003;
}
