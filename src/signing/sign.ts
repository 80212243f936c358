/**
 * Signing publications on Web Crypto (through `jose`): the same code in
 * browsers, Deno and the hub. No Deno-only API is used here.
 *
 * @module
 */

import {
  base64urlDecode,
  base64urlEncode,
  type CryptoKey as JoseCryptoKey,
  importJWK,
  importPKCS8,
  SignJWT,
} from "../auth/jose.ts";
import { isJwsAlgorithm, type JwsAlgorithm } from "../auth/algorithms.ts";
import { secretBytes } from "../auth/_secret.ts";
import {
  algorithmsForJwk,
  algorithmsForShape,
  jwkShape,
  looksLikePem,
  pemShape,
} from "../auth/_key_shape.ts";
import { validateTopic } from "../topic/topic.ts";

/**
 * A key to sign publications with: a shared secret (a string that is not
 * PEM, at least 32 bytes, or bytes), a PKCS#8 PEM private key, a private JWK,
 * a symmetric (`oct`) JWK, or a Web Crypto `CryptoKey` (then `alg` is required).
 */
export type PublicationSigningKey = string | Uint8Array | JsonWebKey | CryptoKey;

/** Options for {@linkcode createPublicationSigner} and {@linkcode signPublication}. */
export interface PublicationSignerOptions {
  /**
   * The algorithm; it must fit the key.
   *
   * @default {undefined} HS256 for a secret, the key's `alg` or its first algorithm (RS256 for RSA, ES256 for P-256, EdDSA for Ed25519); required for a `CryptoKey`
   */
  alg?: JwsAlgorithm;
  /** The `kid` header, so a JWK set verifier can pick the key. @default {undefined} */
  kid?: string;
  /**
   * Sets `exp` this many milliseconds after signing (rounded up to a second);
   * the hub refuses the publication after it. Without it, the hub's replay
   * window alone bounds when the publication is accepted.
   *
   * @default {undefined}
   */
  expiresInMs?: number;
  /** The clock, in epoch milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Signs publications with one key, imported once; created by {@linkcode createPublicationSigner}. */
export interface PublicationSigner {
  /**
   * Signs a publication.
   *
   * @param topic The concrete topic it is for.
   * @param payload The message: any JSON value.
   * @returns The compact JWS.
   */
  sign(topic: string, payload: unknown): Promise<string>;
  /** The algorithm it signs with. */
  readonly alg: JwsAlgorithm;
}

type Material = [JwsAlgorithm, JoseCryptoKey | Uint8Array | Promise<JoseCryptoKey>];

function chosen(requested: JwsAlgorithm | undefined, fits: JwsAlgorithm[], what: string) {
  const alg = requested ?? fits[0];
  if (!fits.includes(alg)) {
    throw new TypeError(
      `Cannot sign publications with alg '${alg}' and ${what}: it supports ${fits.join(", ")}`,
    );
  }
  return alg;
}

function secretMaterial(secret: unknown, requested: JwsAlgorithm | undefined): Material {
  return [
    chosen(requested, ["HS256", "HS384", "HS512"], "a secret"),
    secretBytes(secret, "key"),
  ];
}

function material(key: PublicationSigningKey, requested: JwsAlgorithm | undefined): Material {
  if (requested !== undefined && !isJwsAlgorithm(requested)) {
    throw new TypeError(
      `Cannot sign publications with alg '${String(requested)}': it is not supported`,
    );
  }
  if (key instanceof Uint8Array) return secretMaterial(key, requested);
  if (typeof key === "string") {
    if (!looksLikePem(key)) return secretMaterial(key, requested);
    const shape = pemShape(key, "key");
    if (!shape.private) {
      throw new TypeError(
        `Cannot sign publications with a PEM ${shape.pem}: a private key is needed`,
      );
    }
    const alg = chosen(requested, algorithmsForShape(shape, "key"), "this private key");
    return [alg, importPKCS8(key, alg)];
  }
  if (typeof CryptoKey !== "undefined" && key instanceof CryptoKey) {
    if (requested === undefined) {
      throw new TypeError("Cannot sign publications with a CryptoKey without 'alg'");
    }
    if (key.type === "public") {
      throw new TypeError("Cannot sign publications with a public CryptoKey");
    }
    return [requested, key as JoseCryptoKey];
  }
  if (typeof key === "object" && key !== null && !Array.isArray(key)) {
    const jwk = key as JsonWebKey;
    const shape = jwkShape(jwk, "key");
    if (shape.kty === "oct") {
      let secret: Uint8Array;
      try {
        secret = base64urlDecode(typeof jwk.k === "string" ? jwk.k : "");
      } catch {
        throw new TypeError("Cannot use 'key': its 'k' is not base64url");
      }
      return secretMaterial(secret, requested);
    }
    if (!shape.private) {
      throw new TypeError("Cannot sign publications with a public JWK: a private key is needed");
    }
    const alg = chosen(requested, algorithmsForJwk(jwk, "key"), "this private key");
    return [alg, importJWK(jwk, alg) as Promise<JoseCryptoKey>];
  }
  throw new TypeError(
    "Cannot sign publications with 'key': expected a secret, a PEM or JWK private key or a CryptoKey",
  );
}

function newJti(): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * Creates a signer for one key: the key is checked and imported once, so
 * signing many publications costs one signature each. Each publication gets
 * the claims `topic`, `data` (the payload), a random `jti`, `iat` and,
 * with `expiresInMs`, `exp`.
 *
 * @param key The private key or shared secret.
 * @param options Algorithm, key id, lifetime and clock.
 * @returns The signer.
 * @throws {TypeError} When the key is unusable (a public key, an algorithm it does not fit).
 * @throws {RangeError} When a secret is shorter than 32 bytes or `expiresInMs` is not positive.
 *
 * @example Sign with an ES256 private key
 * ```ts
 * import { generateKeyPair } from "@realtime/hub/auth";
 * import { createPublicationSigner, createPublicationVerifier } from "@realtime/hub/signing";
 * import assert from "node:assert/strict";
 *
 * const pair = await generateKeyPair("ES256");
 * if (pair.kind === "pair") {
 *   const signer = createPublicationSigner(pair.privateJwk, { kid: pair.kid });
 *   const jws = await signer.sign("prices:eur", { bid: 1.08 });
 *   const verifier = createPublicationVerifier({ keys: { keys: [pair.publicJwk] } });
 *   assert.equal((await verifier.verify("prices:eur", jws)).ok, true);
 * }
 * ```
 */
export function createPublicationSigner(
  key: PublicationSigningKey,
  options: PublicationSignerOptions = {},
): PublicationSigner {
  const { kid, expiresInMs, now = Date.now } = options;
  if (
    expiresInMs !== undefined && !(Number.isSafeInteger(expiresInMs) && expiresInMs > 0)
  ) {
    throw new RangeError(
      `Cannot sign publications with 'expiresInMs' of ${expiresInMs}: expected a positive whole number`,
    );
  }
  if (kid !== undefined && (typeof kid !== "string" || kid.length === 0)) {
    throw new TypeError("Cannot sign publications with 'kid': expected a non-empty string");
  }
  const [alg, pending] = material(key, options.alg);
  if (pending instanceof Promise) pending.catch(() => {}); // reported by sign
  const header = kid === undefined ? { alg } : { alg, kid };
  let signWith: Promise<JoseCryptoKey | Uint8Array> | undefined;

  async function sign(topic: string, payload: unknown): Promise<string> {
    const problem = validateTopic(topic);
    if (problem !== undefined) throw new TypeError(problem);
    signWith ??= Promise.resolve(pending).catch(() => {
      throw new TypeError(`Cannot import the key to sign publications with ${alg}`);
    });
    const at = now();
    const iat = Math.floor(at / 1000);
    const claims: Record<string, unknown> = {
      topic,
      data: payload === undefined ? null : payload,
      jti: newJti(),
      iat,
    };
    if (expiresInMs !== undefined) claims.exp = Math.ceil((at + expiresInMs) / 1000);
    return await new SignJWT(claims).setProtectedHeader(header).sign(await signWith);
  }

  return { sign, alg };
}

/**
 * Signs one publication. To sign many with the same key, create a signer
 * with {@linkcode createPublicationSigner} once instead.
 *
 * @param topic The concrete topic it is for.
 * @param payload The message: any JSON value.
 * @param key The private key or shared secret.
 * @param options Algorithm, key id, lifetime and clock.
 * @returns The compact JWS, to send as `{"type":"publish","topic":T,"jws":JWS}`.
 * @throws {TypeError} When the topic or the key is unusable.
 * @throws {RangeError} When a secret is shorter than 32 bytes.
 *
 * @example Sign with a shared secret
 * ```ts
 * import { signPublication } from "@realtime/hub/signing";
 *
 * const jws = await signPublication("orders:eu", { id: 7 }, "a publication secret of at least 32 bytes");
 * const frame = JSON.stringify({ type: "publish", topic: "orders:eu", jws });
 * ```
 */
export async function signPublication(
  topic: string,
  payload: unknown,
  key: PublicationSigningKey,
  options: PublicationSignerOptions = {},
): Promise<string> {
  return await createPublicationSigner(key, options).sign(topic, payload);
}
