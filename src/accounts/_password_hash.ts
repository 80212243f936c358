// PHC-string password hashing on a given argon2id instance: the code under
// both the public hashPassword/verifyPassword (a fresh instance per call)
// and the accounts handler (one long-lived instance per hash slot). The
// public symbols defined here are exported by password.ts.

import type { Argon2id } from "./_argon2.ts";
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

/** Passwords longer than this many UTF-8 bytes are refused before hashing. */
export const MAX_PASSWORD_BYTES = 256;

// Stored hashes come from our own database, but bound them anyway so a
// corrupted row cannot make one login allocate gigabytes.
const MAX_STORED_MEMORY_KIB = 1 << 21;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

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

/** Throws a RangeError for parameters under the OWASP floor or over the bounds. */
export function checkArgon2Params(params: Argon2Params): void {
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

interface Parsed {
  params: Argon2Params;
  salt: Uint8Array;
  hash: Uint8Array;
}

/** A PHC string's parameters, salt and hash, or undefined when unreadable or out of bounds. */
export function parsePhc(phc: string): Parsed | undefined {
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

/** hashPassword on a given instance. */
export function hashWith(argon2id: Argon2id, password: string, params: Argon2Params): string {
  checkPasswordLength(password);
  checkArgon2Params(params);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = argon2id.derive(password, salt, params, HASH_BYTES);
  const { memoryKiB: m, iterations: t, parallelism: p } = params;
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(hash)}`;
}

function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ (b[i % b.length] ?? 0);
  return diff === 0;
}

/** verifyPassword on a given instance. */
export function verifyWith(argon2id: Argon2id, password: string, phc: string): boolean {
  const parsed = parsePhc(phc);
  if (parsed === undefined) return false;
  try {
    checkPasswordLength(password);
  } catch {
    return false;
  }
  const hash = argon2id.derive(password, parsed.salt, parsed.params, HASH_BYTES);
  return equalConstantTime(hash, parsed.hash);
}
