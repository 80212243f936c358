/** Structural checks on a compact JWS, run before any cryptography. */

import { AuthError } from "./errors.ts";

/** Three base64url segments; the header and payload non-empty, the signature possibly empty. */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BASE64URL = { alphabet: "base64url" } as const;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes the protected header of a compact JWS, or throws AuthError
 * "malformed". After the shape check the one decoding failure left is a
 * segment length of 1 modulo 4; the decoder is the one jose uses.
 */
export function parseCompactHeader(token: string): Record<string, unknown> {
  if (!COMPACT.test(token)) throw new AuthError("malformed");
  let header: unknown;
  try {
    const bytes = Uint8Array.fromBase64(token.slice(0, token.indexOf(".")), BASE64URL);
    header = JSON.parse(UTF8.decode(bytes));
  } catch {
    throw new AuthError("malformed");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new AuthError("malformed");
  }
  return header as Record<string, unknown>;
}
