/**
 * Naming a signed topic's keys without showing them: whether keys are
 * secret, and a fingerprint that identifies them. Admin answers and the
 * engine's control channel carry the fingerprint of a secret instead of
 * the secret (see `src/acl/key_references.ts`). Not exported from the
 * package.
 *
 * @module
 */

import type { PublicationKeys } from "./_keys.ts";

export { isSecretKeys } from "./_keys.ts";

/** Separates these digests from any other use of SHA-256 over the same bytes. */
const DOMAIN = "realtime-hub publication keys fingerprint v1\0";

/** JSON with object keys sorted, so equal JWKs give equal bytes. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value).sort().map((key) =>
      `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`
    );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The fingerprint of a signed topic's keys: `sha256:` and 32 hex digits of
 * a SHA-256 over their bytes (a string's UTF-8, raw bytes, a JWK's
 * canonical JSON). The same keys give the same fingerprint in every
 * process; it reveals nothing usable of a secret of the 32 bytes or more a
 * signed topic requires.
 *
 * @param keys The keys, as in a rule's `signed.keys`.
 * @returns The fingerprint.
 *
 * @example
 * ```ts
 * import { publicationKeysFingerprint } from "./key_fingerprint.ts";
 * import assert from "node:assert/strict";
 *
 * const fingerprint = await publicationKeysFingerprint("a publication secret of at least 32 bytes");
 * assert.match(fingerprint, /^sha256:[0-9a-f]{32}$/);
 * ```
 */
export async function publicationKeysFingerprint(keys: PublicationKeys): Promise<string> {
  const encoder = new TextEncoder();
  const body = keys instanceof Uint8Array
    ? keys
    : encoder.encode(typeof keys === "string" ? `s:${keys}` : `j:${canonicalJson(keys)}`);
  const tag = encoder.encode(keys instanceof Uint8Array ? `${DOMAIN}b:` : DOMAIN);
  const input = new Uint8Array(tag.byteLength + body.byteLength);
  input.set(tag);
  input.set(body, tag.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `sha256:${hex}`;
}
