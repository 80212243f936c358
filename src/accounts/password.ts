/**
 * Password hashing with argon2id (WebAssembly, through `hash-wasm`): PHC
 * strings that carry their parameters and salt, constant-time comparison,
 * and a policy on length checked before any hashing.
 *
 * @module
 */

import { argon2id } from "hash-wasm";
import { AccountsError } from "./errors.ts";

/** argon2id cost parameters. */
export interface Argon2Params {
  /** Memory in KiB. */
  memoryKiB: number;
  /** Passes over memory. */
  iterations: number;
  /** Lanes. */
  parallelism: number;
}

/**
 * The OWASP Password Storage Cheat Sheet's minimum for argon2id
 * (m=19456 KiB, t=2, p=1), the default and the floor.
 *
 * @example Read the memory cost
 * ```ts
 * import { OWASP_ARGON2ID } from "@realtime/hub/accounts";
 *
 * OWASP_ARGON2ID.memoryKiB; // 19456
 * ```
 */
export const OWASP_ARGON2ID: Readonly<Argon2Params> = Object.freeze({
  memoryKiB: 19456,
  iterations: 2,
  parallelism: 1,
});

/** Passwords shorter than this many characters are refused. */
export const MIN_PASSWORD_LENGTH = 8;
/** Passwords longer than this many UTF-8 bytes are refused before hashing. */
export const MAX_PASSWORD_BYTES = 256;

// Stored hashes come from our own database, but bound them anyway so a
// corrupted row cannot make one login allocate gigabytes.
const MAX_STORED_MEMORY_KIB = 1 << 21;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
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
 * Refuses an over-long password (before it costs a hash).
 *
 * @param password The password presented.
 * @throws {AccountsError} `PASSWORD_TOO_LONG` over 256 UTF-8 bytes.
 *
 * @example Refuse 300 bytes
 * ```ts
 * import { checkPasswordLength } from "@realtime/hub/accounts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkPasswordLength("x".repeat(300)), /at most 256 bytes/);
 * ```
 */
export function checkPasswordLength(password: string): void {
  // Characters are at most 3 UTF-8 bytes per UTF-16 unit: skip encoding short ones.
  const bytes = password.length * 3 <= MAX_PASSWORD_BYTES
    ? password.length
    : new TextEncoder().encode(password).byteLength;
  if (bytes > MAX_PASSWORD_BYTES) {
    throw new AccountsError(
      "PASSWORD_TOO_LONG",
      `Password is ${bytes} bytes long: at most ${MAX_PASSWORD_BYTES} bytes are allowed`,
    );
  }
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
}

function unb64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function checkParams(params: Argon2Params): void {
  const { memoryKiB, iterations, parallelism } = params;
  if (
    !Number.isSafeInteger(memoryKiB) || !Number.isSafeInteger(iterations) ||
    !Number.isSafeInteger(parallelism) || memoryKiB < OWASP_ARGON2ID.memoryKiB ||
    iterations < OWASP_ARGON2ID.iterations || parallelism < 1 ||
    memoryKiB > MAX_STORED_MEMORY_KIB || iterations > 64 || parallelism > 16
  ) {
    throw new RangeError(
      `Cannot hash with argon2id m=${memoryKiB}, t=${iterations}, p=${parallelism}: expected at least m=19456, t=2, p=1 (OWASP) and at most m=${MAX_STORED_MEMORY_KIB}, t=64, p=16`,
    );
  }
}

async function derive(password: string, salt: Uint8Array, p: Argon2Params): Promise<Uint8Array> {
  return await argon2id({
    password,
    salt,
    memorySize: p.memoryKiB,
    iterations: p.iterations,
    parallelism: p.parallelism,
    hashLength: HASH_BYTES,
    outputType: "binary",
  });
}

interface Parsed {
  params: Argon2Params;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parsePhc(phc: string): Parsed | undefined {
  const match =
    /^\$argon2id\$v=19\$m=(\d{1,8}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,64})\$([A-Za-z0-9+/]{16,128})$/
      .exec(phc);
  if (match === null) return undefined;
  const params = { memoryKiB: +match[1], iterations: +match[2], parallelism: +match[3] };
  if (
    params.memoryKiB > MAX_STORED_MEMORY_KIB || params.iterations > 64 ||
    params.parallelism > 16 || params.memoryKiB < 8 * params.parallelism ||
    params.iterations < 1 || params.parallelism < 1
  ) return undefined;
  try {
    return { params, salt: unb64(match[4]), hash: unb64(match[5]) };
  } catch {
    return undefined;
  }
}

/**
 * Hashes a password with argon2id and a fresh random 16-byte salt.
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
  checkPasswordLength(password);
  checkParams(params);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, params);
  const { memoryKiB: m, iterations: t, parallelism: p } = params;
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(hash)}`;
}

function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ (b[i % b.length] ?? 0);
  return diff === 0;
}

/**
 * Verifies a password against a PHC string, comparing in constant time.
 * An unreadable PHC string or an over-long password verifies as `false`.
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
  const parsed = parsePhc(phc);
  if (parsed === undefined) return false;
  try {
    checkPasswordLength(password);
  } catch {
    return false;
  }
  const hash = await derive(password, parsed.salt, parsed.params);
  return equalConstantTime(hash, parsed.hash);
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
