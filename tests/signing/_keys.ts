// Keys in every form the signing tests need, and a signer of arbitrary claims.

import { base64url, SignJWT } from "jose";
import { keyPair, type TestKeyPair } from "../auth/_fixtures.ts";

export { EC_CERT, EC_CERT_PRIVATE } from "../auth/_fixtures.ts";

export const SECRET = "a-publication-secret-of-at-least-32-bytes";
export const OTHER_SECRET = "another-publication-secret-of-32-bytes!!";
export const NOW_MS = 1_800_000_000_000;
export const NOW_S = NOW_MS / 1000;

export const es256 = (): Promise<TestKeyPair> => keyPair("ES256", "signing");
export const ed25519 = (): Promise<TestKeyPair> => keyPair("EdDSA", "signing");
export const rs256 = (): Promise<TestKeyPair> => keyPair("RS256", "signing");

/** A symmetric JWK holding SECRET. */
export const SECRET_JWK: JsonWebKey = {
  kty: "oct",
  k: base64url.encode(new TextEncoder().encode(SECRET)),
};

/** Signs exactly the given claims, with no defaults added. */
export async function signClaims(
  claims: Record<string, unknown>,
  key: CryptoKey | Uint8Array | string,
  header: { alg: string; kid?: string },
): Promise<string> {
  const k = typeof key === "string" ? new TextEncoder().encode(key) : key;
  return await new SignJWT(claims).setProtectedHeader(header).sign(k);
}

/** The usual claims of a publication on `topic` signed at NOW. */
export function claims(topic: string, extra: Record<string, unknown> = {}) {
  return { topic, data: { n: 1 }, jti: crypto.randomUUID(), iat: NOW_S, ...extra };
}
