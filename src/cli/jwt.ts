/**
 * Reading a token without verifying it, for `token inspect` and `acl
 * explain` (a token's expiry alone is read by `../auth/token_expiry.ts`).
 * Nothing here decides whether a token is valid.
 *
 * @module
 */

import { decodeJwt, decodeProtectedHeader } from "../auth/jose.ts";
import { CliError, ExitCode } from "./errors.ts";

/** A token's decoded parts. */
export interface DecodedToken {
  /** The protected header. */
  header: Record<string, unknown>;
  /** The claims. */
  claims: Record<string, unknown>;
}

/**
 * Decodes a compact JWT without checking its signature.
 *
 * @param token The token.
 * @returns Header and claims.
 * @throws {CliError} (usage) When it is not a JWT; the message does not quote it.
 */
export function decodeToken(token: string): DecodedToken {
  try {
    return {
      header: decodeProtectedHeader(token) as Record<string, unknown>,
      claims: decodeJwt(token) as Record<string, unknown>,
    };
  } catch {
    throw new CliError(
      ExitCode.Usage,
      `Cannot decode the token (${token.length} characters): expected a JWT of three base64url parts`,
    );
  }
}
