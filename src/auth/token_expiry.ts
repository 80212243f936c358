/**
 * Reading a JWT's `exp` without verifying it: the client uses it to avoid
 * reconnecting with a token it already knows is dead, and the CLI to say
 * why a token was refused. It decides nothing about a token's validity,
 * and pulls in no cryptography, so the browser client can bundle it.
 *
 * @module
 */

/**
 * The expiry of a compact JWT, read without checking its signature.
 *
 * @param token The token.
 * @returns `exp` in milliseconds since the epoch, or `undefined` when the
 * token is not a JWT or has no numeric `exp`.
 *
 * @example Reading an expiry
 * ```ts
 * import { tokenExpiresAt } from "./token_expiry.ts";
 * import assert from "node:assert/strict";
 *
 * const payload = btoa(JSON.stringify({ exp: 1_700_000_000 })).replace(/=+$/, "");
 * assert.equal(tokenExpiresAt(`e30.${payload}.sig`), 1_700_000_000_000);
 * assert.equal(tokenExpiresAt("not a token"), undefined);
 * ```
 */
export function tokenExpiresAt(token: string): number | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const base64 = parts[1].replaceAll("-", "+").replaceAll("_", "/");
    const json = atob(base64 + "=".repeat((4 - base64.length % 4) % 4));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
