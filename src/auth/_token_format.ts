/** Structural checks on a compact JWS, run before any cryptography. */

import { AuthError } from "./errors.ts";

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Returns the decoded protected header, or throws AuthError "malformed". */
export function parseCompactHeader(token: string): Record<string, unknown> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] === "" || parts[1] === "") {
    throw new AuthError("malformed");
  }
  if (!parts.every((part) => BASE64URL.test(part)) || parts[0].length % 4 === 1) {
    throw new AuthError("malformed");
  }
  let header: unknown;
  try {
    const b64 = parts[0].replaceAll("-", "+").replaceAll("_", "/");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    header = JSON.parse(UTF8.decode(bytes));
  } catch {
    throw new AuthError("malformed");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new AuthError("malformed");
  }
  return header as Record<string, unknown>;
}
