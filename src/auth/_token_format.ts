/** Structural checks on a compact JWS, run before any cryptography. */

import { AuthError } from "./errors.ts";

/** Three base64url segments; the header and payload non-empty, the signature possibly empty. */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Throws AuthError "malformed" unless `token` has the shape of a compact
 * JWS. The header itself is decoded once, by jose, which checks its `alg`
 * against the allowlist before it resolves a key or verifies a signature.
 */
export function checkCompactFormat(token: string): void {
  if (!COMPACT.test(token)) throw new AuthError("malformed");
}
