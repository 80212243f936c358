/** Keys and hand-made tokens shared by the auth tests. */
import { AuthError } from "../../src/auth/errors.ts";

import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from "jose";

export const SECRET = "test-secret-that-is-at-least-32-bytes-long!";
export const NOW_MS = 1_800_000_000_000;
export const NOW_S = NOW_MS / 1000;
export const now = () => NOW_MS;

/** A self-signed P-256 certificate and its PKCS#8 private key, made with openssl for the tests. */
export const EC_CERT = `-----BEGIN CERTIFICATE-----
MIIBiDCCAS2gAwIBAgIUYYR4s2YEg0pPEOK+dDiBgflLqAcwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNcmVhbHRpbWUtdGVzdDAgFw0yNjExMjMyMDIwMzhaGA8yMTI2
MTAzMDIwMjAzOFowGDEWMBQGA1UEAwwNcmVhbHRpbWUtdGVzdDBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABCe1kT2FPFRN39YHCAcwoEPpZtOIOVmefjBbBEqYtvgp
g/RFMr2P0oMhvgPj8Q7qeu/O29IacOL1QGGKA31fszGjUzBRMB0GA1UdDgQWBBRJ
4Q2o4KKsrlysNtMcJLtUzMS9gDAfBgNVHSMEGDAWgBRJ4Q2o4KKsrlysNtMcJLtU
zMS9gDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCFpas1gCE1
toEmLRitiQXj952DJTuUj4d6ZurEybgayAIhAMTi6sTMPaygeHeVilAkI9VeZItb
kn2LGnT5QiLp2MNz
-----END CERTIFICATE-----
`;
export const EC_CERT_PRIVATE = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYmph9mfIrUZ0ZAUf
++F+wOaBSIepMXp8rKYzdk7QVfqhRANCAAQntZE9hTxUTd/WBwgHMKBD6WbTiDlZ
nn4wWwRKmLb4KYP0RTK9j9KDIb4D4/EO6nrvztvSGnDi9UBhigN9X7Mx
-----END PRIVATE KEY-----
`;

/** A generated key pair in every format the tests need. */
export interface TestKeyPair {
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicPem: string;
  privatePem: string;
  publicJwk: JsonWebKey;
  privateJwk: JsonWebKey;
}

const pairs = new Map<string, Promise<TestKeyPair>>();

/** Generates (once per alg and label) a key pair. */
export function keyPair(alg: string, label = ""): Promise<TestKeyPair> {
  const id = `${alg}/${label}`;
  let pair = pairs.get(id);
  if (pair === undefined) {
    pair = (async () => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      return {
        alg,
        privateKey,
        publicKey,
        publicPem: await exportSPKI(publicKey),
        privatePem: await exportPKCS8(privateKey),
        publicJwk: await exportJWK(publicKey) as JsonWebKey,
        privateJwk: await exportJWK(privateKey) as JsonWebKey,
      };
    })();
    pairs.set(id, pair);
  }
  return pair;
}

/** Signs arbitrary claims and header with jose directly, bypassing mintToken's checks. */
export async function sign(
  payload: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  header: Record<string, unknown> & { alg: string },
): Promise<string> {
  return await new SignJWT(payload).setProtectedHeader(header).sign(key);
}

/** Base64url of a string's UTF-8 bytes. */
export function b64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

export const secretBytes = new TextEncoder().encode(SECRET);

/** Awaits a promise that must reject and returns its AuthError. */
export async function authFailure(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw new Error(`Expected an AuthError, got ${error}`, { cause: error });
  }
  throw new Error("Expected a rejection, got a result");
}
