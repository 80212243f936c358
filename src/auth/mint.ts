/**
 * Signing tokens the hub's verifier accepts (for the CLI, tests and
 * development servers).
 *
 * @module
 */

import { importJWK, importPKCS8, SignJWT } from "./jose.ts";
import { isHmacAlgorithm, isJwsAlgorithm, type JwsAlgorithm } from "./algorithms.ts";
import { parseDuration } from "./duration.ts";
import { ANONYMOUS_PRINCIPAL } from "./principal.ts";
import { secretBytes } from "./_secret.ts";
import { algorithmsForJwk, algorithmsForShape, jwkShape, pemShape } from "./_key_shape.ts";

/** The claims of a token to mint. `exp`, `iat` and `nbf` are set from options instead. */
export interface MintClaims {
  /**
   * The subject (user id): a non-empty string of at most 256 characters,
   * not `anonymous` (the name of token-less connections).
   */
  sub: string;
  /** Roles, read by the verifier's default `rolesClaim`. */
  roles?: string[];
  /** Per-topic permissions, for the ACL layer. */
  acl?: Record<string, string[]>;
  /** Any other JSON claim. */
  [claim: string]: unknown;
}

/** A shared secret (HS* algorithms); a string is used as its UTF-8 bytes (at least 32). */
export interface SecretSigningKey {
  /** The shared secret. */
  secret: string | Uint8Array;
}

/** A private key as PKCS#8 PEM or a private JWK, with the algorithm to sign with. */
export interface PrivateSigningKey {
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) or a private JWK. */
  privateKey: JsonWebKey | string;
  /** The algorithm to sign with; must fit the key. */
  alg: JwsAlgorithm;
}

/** The key {@linkcode mintToken} signs with. */
export type SigningKeyInput = SecretSigningKey | PrivateSigningKey;

/** Options for {@linkcode mintToken}. */
export interface MintOptions {
  /**
   * The algorithm. Must fit the key; with a private key it must equal the key's `alg`.
   *
   * @default {"HS256"} for a secret, the key's `alg` for a private key
   */
  alg?: JwsAlgorithm;
  /**
   * Lifetime: a duration such as `"15m"`, `"1h"`, `"30s"`, `"7d"`, or a number of seconds.
   *
   * @default {"15m"}
   */
  ttl?: string | number;
  /** The `iss` claim. @default {undefined} */
  iss?: string;
  /** The `aud` claim. @default {undefined} */
  aud?: string | string[];
  /** The `kid` header, so a JWKS verifier can pick the key. @default {undefined} */
  kid?: string;
  /** The clock, in epoch milliseconds. @default {Date.now} */
  now?: () => number;
}

const TIME_CLAIMS = ["exp", "iat", "nbf"];

function ttlSeconds(ttl: string | number): number {
  const seconds = typeof ttl === "number" ? ttl : Math.floor(parseDuration(ttl) / 1000);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new RangeError(
      `Cannot mint a token with ttl '${
        String(ttl)
      }': expected a positive whole number of seconds or a duration such as '15m'`,
    );
  }
  return seconds;
}

function checkClaims(claims: MintClaims): void {
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new TypeError("Cannot mint a token as 'claims' is not an object");
  }
  const { sub, roles, acl } = claims;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 256) {
    throw new TypeError(
      `Cannot mint a token as 'sub' is ${
        typeof sub === "string" ? `${sub.length} characters long` : `of type ${typeof sub}`
      }: expected a string of 1 to 256 characters`,
    );
  }
  if (sub === ANONYMOUS_PRINCIPAL.sub) {
    throw new TypeError(
      `Cannot mint a token as 'sub' is '${sub}': the name is reserved for token-less connections`,
    );
  }
  if (roles !== undefined && (!Array.isArray(roles) || roles.some((r) => typeof r !== "string"))) {
    throw new TypeError("Cannot mint a token as 'roles' is not an array of strings");
  }
  if (
    acl !== undefined &&
    (typeof acl !== "object" || acl === null || Array.isArray(acl) ||
      Object.values(acl).some((v) => !Array.isArray(v) || v.some((a) => typeof a !== "string")))
  ) {
    throw new TypeError("Cannot mint a token as 'acl' is not an object of string arrays");
  }
  for (const claim of TIME_CLAIMS) {
    if (claim in claims) {
      throw new TypeError(`Cannot mint a token with a '${claim}' claim: set 'ttl' instead`);
    }
  }
}

async function signingKey(
  key: SigningKeyInput,
  requested: JwsAlgorithm | undefined,
): Promise<[JwsAlgorithm, CryptoKey | Uint8Array]> {
  if (requested !== undefined && !isJwsAlgorithm(requested)) {
    throw new TypeError(`Cannot mint a token with alg '${String(requested)}': it is not supported`);
  }
  if (typeof key === "object" && key !== null && "secret" in key) {
    const alg = requested ?? "HS256";
    if (!isHmacAlgorithm(alg)) {
      throw new TypeError(`Cannot mint a token with alg '${alg}' and a secret: expected HS*`);
    }
    return [alg, secretBytes(key.secret, "secret")];
  }
  if (typeof key !== "object" || key === null || !("privateKey" in key)) {
    throw new TypeError("Cannot mint a token as 'key' has neither 'secret' nor 'privateKey'");
  }
  const alg = key.alg;
  if (requested !== undefined && requested !== alg) {
    throw new TypeError(`Cannot mint a token with alg '${requested}' and a key for '${alg}'`);
  }
  const pem = typeof key.privateKey === "string";
  const shape = pem
    ? pemShape(key.privateKey as string, "privateKey")
    : jwkShape(key.privateKey, "privateKey");
  const fits = pem
    ? algorithmsForShape(shape, "privateKey")
    : algorithmsForJwk(key.privateKey as JsonWebKey, "privateKey");
  if (!shape.private || shape.kty === "oct") {
    throw new TypeError("Cannot mint a token as 'privateKey' is not an asymmetric private key");
  }
  if (!fits.includes(alg)) {
    throw new TypeError(
      `Cannot mint a token with alg '${String(alg)}': the key supports ${fits.join(", ")}`,
    );
  }
  const imported = pem
    ? await importPKCS8(key.privateKey as string, alg)
    : await importJWK(key.privateKey as JsonWebKey, alg);
  return [alg, imported as CryptoKey];
}

/**
 * Signs a JWT with `iat`, `exp` and the given claims, in the form
 * {@linkcode createTokenVerifier} accepts.
 *
 * @param claims The claims; `sub` is required.
 * @param key A shared secret or a private key.
 * @param options Algorithm, lifetime, issuer, audience, key id and clock.
 * @returns The compact JWT.
 * @throws {TypeError} When the claims or the key are unusable.
 * @throws {RangeError} When the secret is shorter than 32 bytes or the ttl is invalid.
 *
 * @example Mint a one-hour token with a shared secret
 * ```ts
 * import { mintToken } from "@realtime/hub/auth";
 *
 * const token = await mintToken(
 *   { sub: "alice", roles: ["member"] },
 *   { secret: "a development secret of at least 32 bytes" },
 *   { ttl: "1h", iss: "https://auth.example.com" },
 * );
 * token.split(".").length; // 3
 * ```
 */
export async function mintToken(
  claims: MintClaims,
  key: SigningKeyInput,
  options: MintOptions = {},
): Promise<string> {
  checkClaims(claims);
  const { ttl = "15m", iss, aud, kid, now = Date.now } = options;
  const lifetime = ttlSeconds(ttl);
  const [alg, signWith] = await signingKey(key, options.alg);
  const iat = Math.floor(now() / 1000);
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader(kid === undefined ? { alg, typ: "JWT" } : { alg, typ: "JWT", kid })
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime);
  if (iss !== undefined) jwt.setIssuer(iss);
  if (aud !== undefined) jwt.setAudience(aud);
  return await jwt.sign(signWith);
}
