/**
 * Password hashing with argon2id (hash-wasm's WebAssembly core): PHC
 * strings that carry their parameters and salt, constant-time comparison,
 * and a policy on length checked before any hashing.
 *
 * @module
 */

import { createArgon2id } from "./_argon2.ts";
import {
  type Argon2Params,
  checkPasswordLength,
  hashWith,
  OWASP_ARGON2ID,
  parsePhc,
  verifyWith,
} from "./_password_hash.ts";
import { AccountsError } from "./errors.ts";

export {
  type Argon2Params,
  checkPasswordLength,
  MAX_PASSWORD_BYTES,
  OWASP_ARGON2ID,
} from "./_password_hash.ts";

/** Passwords shorter than this many characters are refused. */
export const MIN_PASSWORD_LENGTH = 8;
const COMMON = new Set([
  "password",
  "password1",
  "12345678",
  "123456789",
  "1234567890",
  "qwertyui",
  "qwerty123",
  "iloveyou",
  "11111111",
  "00000000",
  "abcdefgh",
  "letmein1",
  "baseball",
  "football",
]);

/**
 * Checks a proposed password: at least 8 characters, at most 256 UTF-8
 * bytes, not a very common password and not the username.
 *
 * @param password The proposed password.
 * @param username The user it is for.
 * @throws {AccountsError} `WEAK_PASSWORD` or `PASSWORD_TOO_LONG`; the message never quotes the password.
 *
 * @example Refuse a short password
 * ```ts
 * import { checkPasswordPolicy } from "@realtime/hub/accounts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkPasswordPolicy("short", "alice"), /at least 8/);
 * checkPasswordPolicy("a long enough passphrase", "alice");
 * ```
 */
export function checkPasswordPolicy(password: string, username: string): void {
  checkPasswordLength(password);
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new AccountsError(
      "WEAK_PASSWORD",
      `Password is too short: at least ${MIN_PASSWORD_LENGTH} characters are required`,
    );
  }
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || lower === username.toLowerCase()) {
    throw new AccountsError("WEAK_PASSWORD", "Password is too common or equals the username");
  }
}

/**
 * Hashes a password with argon2id and a fresh random 16-byte salt.
 *
 * Each call instantiates the argon2 core with `params.memoryKiB` of memory
 * that the garbage collector frees later: fine for a command-line tool, but
 * a server hashing many passwords should use `createAccountsHandler`,
 * which keeps one long-lived instance per hash slot.
 *
 * @param password The password (at most 256 UTF-8 bytes).
 * @param params Cost parameters, at least the OWASP minimum.
 * @returns The PHC string, e.g. `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
 * @throws {AccountsError} `PASSWORD_TOO_LONG` for an over-long password.
 * @throws {RangeError} For parameters under the OWASP minimum.
 *
 * @example Hash and verify
 * ```ts
 * import { hashPassword, verifyPassword } from "@realtime/hub/accounts";
 * import assert from "node:assert/strict";
 *
 * const phc = await hashPassword("correct horse battery staple");
 * assert.ok(phc.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
 * assert.equal(await verifyPassword("correct horse battery staple", phc), true);
 * assert.equal(await verifyPassword("wrong", phc), false);
 * ```
 */
export async function hashPassword(
  password: string,
  params: Argon2Params = OWASP_ARGON2ID,
): Promise<string> {
  return hashWith(await createArgon2id(), password, params);
}

/**
 * Verifies a password against a PHC string, comparing in constant time.
 * An unreadable PHC string or an over-long password verifies as `false`.
 * Like {@linkcode hashPassword}, each call instantiates the argon2 core.
 *
 * @param password The password presented.
 * @param phc The stored PHC string.
 * @returns Whether they match.
 *
 * @example Verify
 * ```ts
 * import { hashPassword, verifyPassword } from "@realtime/hub/accounts";
 *
 * await verifyPassword("a passphrase!", await hashPassword("a passphrase!")); // true
 * ```
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  return verifyWith(await createArgon2id(), password, phc);
}

/**
 * Whether a stored hash was made with weaker parameters than `params` (or
 * cannot be read), so it should be replaced after a successful login.
 *
 * @param phc The stored PHC string.
 * @param params The parameters in force.
 * @returns `true` when any parameter is lower.
 *
 * @example Raise the memory cost
 * ```ts
 * import { hashPassword, needsRehash } from "@realtime/hub/accounts";
 *
 * const phc = await hashPassword("a passphrase!");
 * needsRehash(phc, { memoryKiB: 47104, iterations: 1, parallelism: 1 }); // true
 * ```
 */
export function needsRehash(phc: string, params: Argon2Params = OWASP_ARGON2ID): boolean {
  const parsed = parsePhc(phc);
  if (parsed === undefined) return true;
  const p = parsed.params;
  return p.memoryKiB < params.memoryKiB || p.iterations < params.iterations ||
    p.parallelism < params.parallelism;
}
