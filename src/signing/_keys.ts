/** Turns the one `keys` value of a signed topic into the key-source options tokens use. */

import { base64urlDecode } from "../auth/jose.ts";
import type { KeySourceOptions } from "../auth/_key_source.ts";
import { looksLikePem } from "../auth/_key_shape.ts";
import type { JsonWebKeySet } from "../auth/verify.ts";

/**
 * The keys that verify signed publications: a shared secret (a string that
 * is not PEM, or bytes), a PEM public key or certificate, a JWK (a symmetric
 * `oct` JWK is used as a secret) or a JWK set of public keys.
 */
export type PublicationKeys = string | Uint8Array | JsonWebKey | JsonWebKeySet;

function kindOf(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

/** The key-source options for `keys`, or a TypeError naming only its type. */
export function keySourceOptions(keys: PublicationKeys, label: string): KeySourceOptions {
  if (keys instanceof Uint8Array) return { secret: keys };
  if (typeof keys === "string") return looksLikePem(keys) ? { publicKey: keys } : { secret: keys };
  if (typeof keys === "object" && keys !== null && !Array.isArray(keys)) {
    if ("keys" in keys) return { jwks: keys as JsonWebKeySet };
    const jwk = keys as JsonWebKey;
    if (jwk.kty !== "oct") return { publicKey: jwk };
    let secret: Uint8Array;
    try {
      secret = base64urlDecode(typeof jwk.k === "string" ? jwk.k : "");
    } catch {
      throw new TypeError(`Cannot use '${label}': its 'k' is not base64url`);
    }
    return { secret };
  }
  throw new TypeError(
    `Cannot use '${label}' of type ${
      kindOf(keys)
    }: expected a shared secret, a PEM public key, a JWK or a JWK set`,
  );
}

/** Whether a JWK carries secret material: a symmetric key (`k`) or a private part (`d`). */
function isSecretJwk(jwk: unknown): boolean {
  if (typeof jwk !== "object" || jwk === null) return false;
  const { kty } = jwk as { kty?: unknown };
  return kty === "oct" || "k" in jwk || "d" in jwk;
}

/**
 * Whether `keys` hold secret material: a shared secret (a string that is
 * not PEM, or bytes), a PEM private key, an `oct` JWK or any JWK with a
 * private part, or a JWK set holding one. Public keys are not secret.
 */
export function isSecretKeys(keys: unknown): boolean {
  if (keys instanceof Uint8Array) return true;
  if (typeof keys === "string") return !looksLikePem(keys) || /PRIVATE KEY-----/.test(keys);
  if (typeof keys !== "object" || keys === null) return false;
  const set = (keys as { keys?: unknown }).keys;
  if (Array.isArray(set)) return set.some(isSecretJwk);
  return isSecretJwk(keys);
}
