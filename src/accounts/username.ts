/**
 * The username rule: what a user may be called, normalized once.
 *
 * @module
 */

import { ANONYMOUS_PRINCIPAL } from "../auth/principal.ts";
import { AccountsError } from "./errors.ts";

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/**
 * Normalizes (NFKC, lower case, trimmed) and checks a username: 1 to 64
 * characters of `a-z 0-9 . _ @ -`, starting with a letter or digit, so that
 * it is also a valid topic segment (`user:<name>`) and the token's `sub`.
 *
 * @param value The username as typed.
 * @returns The normalized username.
 * @throws {AccountsError} `INVALID_USERNAME` for anything else.
 *
 * @example Normalize
 * ```ts
 * import { normalizeUsername } from "@realtime/hub/accounts";
 *
 * normalizeUsername(" Alice "); // "alice"
 * ```
 */
export function normalizeUsername(value: unknown): string {
  if (typeof value !== "string") {
    throw new AccountsError(
      "INVALID_USERNAME",
      `Username must be a string, got ${value === null ? "null" : typeof value}`,
    );
  }
  const normalized = value.normalize("NFKC").trim().toLowerCase();
  if (!USERNAME.test(normalized)) {
    throw new AccountsError(
      "INVALID_USERNAME",
      `Username ${
        JSON.stringify(normalized.slice(0, 80))
      } is not allowed: use 1 to 64 characters of a-z, 0-9, '.', '_', '@' or '-', starting with a letter or digit`,
    );
  }
  return normalized;
}

/**
 * Normalizes and checks the username of an account being created: as
 * {@linkcode normalizeUsername}, and not a reserved name (`anonymous`, the
 * name of token-less connections, which no token may carry).
 *
 * @param value The username as typed.
 * @returns The normalized username.
 * @throws {AccountsError} `INVALID_USERNAME` for a name that is not allowed or reserved.
 *
 * @example A reserved name is refused
 * ```ts
 * import { AccountsError, normalizeNewUsername } from "@realtime/hub/accounts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(normalizeNewUsername("Bob"), "bob");
 * assert.throws(() => normalizeNewUsername("Anonymous"), AccountsError);
 * ```
 */
export function normalizeNewUsername(value: unknown): string {
  const username = normalizeUsername(value);
  if (username === ANONYMOUS_PRINCIPAL.sub) {
    throw new AccountsError(
      "INVALID_USERNAME",
      `Username "${username}" is reserved for connections without a token: choose another`,
    );
  }
  return username;
}
