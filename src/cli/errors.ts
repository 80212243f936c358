/**
 * Exit codes and the one error type the CLI turns into a single stderr line.
 *
 * @module
 */

import { AuthError } from "../auth/errors.ts";

/** The process exit codes of `realtime-cli`, as documented in its `--help`. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** Usage: bad arguments, unreadable files, invalid input. */
  Usage: 1,
  /** Authentication or permission failure. */
  Auth: 2,
  /** The hub could not be reached, or the connection was lost. */
  Connection: 3,
  /** A deadline passed. */
  Timeout: 4,
} as const;

/** One of the values of {@linkcode ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** The help text that documents {@linkcode ExitCode}. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  usage error (bad arguments, unreadable file, invalid input)
  2  authentication or permission failure
  3  connection failure (hub unreachable or connection lost)
  4  timeout`;

/** A failure to report as one line on stderr, with the exit code to use. */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: ExitCode;

  /**
   * @param exitCode The exit code.
   * @param message One line, without tokens or secrets.
   */
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** Maps any thrown value to an exit code and a message. */
export function describeError(error: unknown): { exitCode: ExitCode; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message };
  if (error instanceof AuthError) return { exitCode: ExitCode.Auth, message: error.message };
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
    return { exitCode: ExitCode.Usage, message: (error as Error).message };
  }
  if (error instanceof Error) return { exitCode: ExitCode.Usage, message: error.message };
  return { exitCode: ExitCode.Usage, message: String(error) };
}

const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?/g;
const TOKEN_PARAM = /([?&](?:token|access_token)=)[^&#\s]*/gi;

/**
 * Removes tokens and secrets from a line before it is printed: anything
 * shaped like a JWT, `token=` query parameters, and the given values.
 *
 * @param text The line.
 * @param secrets Values known to be secret (the token in use, a secret from the environment).
 * @returns The line with each secret replaced by `<redacted>`.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) out = out.replaceAll(secret, "<redacted>");
  }
  return out.replace(JWT_LIKE, "<redacted>").replace(TOKEN_PARAM, "$1<redacted>");
}

/**
 * The exit code for a protocol error code received in an `error` frame.
 *
 * @param code The frame's `code`.
 * @returns 2 for authentication and permission errors and refused signatures,
 * 1 for malformed or oversized requests (and JWS) and history of a topic that
 * keeps none, 3 for the hub's own trouble (rate limits, internal errors).
 */
export function exitCodeForErrorFrame(code: unknown): ExitCode {
  switch (code) {
    case "AUTH_FAILED":
    case "TOKEN_EXPIRED":
    case "FORBIDDEN":
    // A signed publication the hub refused: the key, the claims or the topic's rule.
    case "SIGNATURE_REQUIRED":
    case "SIGNATURE_INVALID":
    case "SIGNATURE_ALGORITHM":
    case "SIGNATURE_TOPIC":
    case "SIGNATURE_EXPIRED":
    case "SIGNATURE_REPLAYED":
      return ExitCode.Auth;
    case "BAD_REQUEST":
    case "TOO_LARGE":
    case "SIGNATURE_TOO_LARGE":
    case "NO_HISTORY":
      return ExitCode.Usage;
    default:
      return ExitCode.Connection;
  }
}
