/**
 * Key files for the CLI: reading PEM and JWK files, generating keys.
 *
 * @module
 */

import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair as joseGenerateKeyPair,
  importJWK,
  importPKCS8,
  importSPKI,
  importX509,
} from "./jose.ts";
import { isHmacAlgorithm, isJwsAlgorithm, type JwsAlgorithm } from "./algorithms.ts";
import type { JsonWebKeySet } from "./verify.ts";
import {
  algorithmsForJwk,
  algorithmsForShape,
  jwkShape,
  looksLikePem,
  pemShape,
} from "./_key_shape.ts";
import { secretBytes } from "./_secret.ts";

/** A private key file: sign with it via {@linkcode mintToken}'s `{ privateKey, alg }`. */
export interface PrivateKeyFile {
  /** Discriminant. */
  kind: "private";
  /** PKCS#8 PEM text or the private JWK, as found in the file. */
  privateKey: string | JsonWebKey;
  /** The public half as a JWK, ready to publish in a JWKS or pass as `publicKey`. */
  publicJwk: JsonWebKey;
  /** The algorithms the key can sign with. */
  algorithms: JwsAlgorithm[];
}

/** A public key file: verify with it via `createTokenVerifier({ publicKey })`. */
export interface PublicKeyFile {
  /** Discriminant. */
  kind: "public";
  /** SPKI or X.509 PEM text, or the public JWK. */
  publicKey: string | JsonWebKey;
  /** The algorithms the key can verify. */
  algorithms: JwsAlgorithm[];
}

/** A JWK set of public keys: verify with it via `createTokenVerifier({ jwks })`. */
export interface JwksFile {
  /** Discriminant. */
  kind: "jwks";
  /** The key set. */
  jwks: JsonWebKeySet;
  /** The algorithms its keys can verify. */
  algorithms: JwsAlgorithm[];
}

/** A symmetric (`kty: "oct"`) JWK: use it as `secret`. */
export interface SecretKeyFile {
  /** Discriminant. */
  kind: "secret";
  /** The secret bytes. */
  secret: Uint8Array;
  /** HS256, HS384 and HS512 (or the JWK's own `alg`). */
  algorithms: JwsAlgorithm[];
}

/** What {@linkcode readKeyFile} found. */
export type KeyFile = PrivateKeyFile | PublicKeyFile | JwksFile | SecretKeyFile;

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

function publicPart(jwk: JsonWebKey): JsonWebKey {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  delete copy.key_ops;
  return copy as JsonWebKey;
}

async function fromPem(text: string, label: string): Promise<KeyFile> {
  const shape = pemShape(text, label);
  const algorithms = algorithmsForShape(shape, label);
  const alg = algorithms[0];
  try {
    if (shape.pem === "PRIVATE KEY") {
      const key = await importPKCS8(text, alg, { extractable: true });
      const publicJwk = publicPart(await exportJWK(key) as JsonWebKey);
      return { kind: "private", privateKey: text, publicJwk, algorithms };
    }
    await (shape.pem === "CERTIFICATE" ? importX509(text, alg) : importSPKI(text, alg));
  } catch {
    throw new TypeError(`Cannot import the ${shape.pem} in '${label}'`);
  }
  return { kind: "public", publicKey: text, algorithms };
}

async function fromJwk(jwk: JsonWebKey, label: string): Promise<KeyFile> {
  const shape = jwkShape(jwk, label);
  const algorithms = algorithmsForJwk(jwk, label);
  if (shape.kty === "oct") {
    const k = typeof jwk.k === "string" && /^[A-Za-z0-9_-]+$/.test(jwk.k) ? jwk.k : "";
    const bytes = Uint8Array.from(
      atob(k.replaceAll("-", "+").replaceAll("_", "/")),
      (c) => c.charCodeAt(0),
    );
    return { kind: "secret", secret: secretBytes(bytes, `${label} k`), algorithms };
  }
  try {
    await importJWK(jwk, algorithms[0]);
  } catch {
    throw new TypeError(`Cannot import the ${shape.kty} JWK in '${label}'`);
  }
  return shape.private
    ? { kind: "private", privateKey: jwk, publicJwk: publicPart(jwk), algorithms }
    : { kind: "public", publicKey: jwk, algorithms };
}

function fromJwks(jwks: JsonWebKeySet, label: string): JwksFile {
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new TypeError(`Cannot use '${label}': its 'keys' is not a non-empty array`);
  }
  const algorithms = new Set<JwsAlgorithm>();
  jwks.keys.forEach((jwk, index) => {
    const name = `${label} keys[${index}]`;
    if (jwkShape(jwk, name).private) {
      throw new TypeError(`Cannot use '${name}': a JWK set file must hold only public keys`);
    }
    for (const alg of algorithmsForJwk(jwk, name)) algorithms.add(alg);
  });
  return { kind: "jwks", jwks, algorithms: [...algorithms] };
}

/**
 * Reads a key file: PEM (`PRIVATE KEY` PKCS#8, `PUBLIC KEY` SPKI or
 * `CERTIFICATE` X.509), a JWK, or a JWK set, telling them apart by content.
 * The key is imported once to prove it usable. Errors name the file and the
 * key type, never key material.
 *
 * @param path The file to read.
 * @returns What the file holds, in the shape the signer or verifier takes.
 * @throws {TypeError} When the file holds no usable key.
 *
 * @example Load a public key for the verifier
 * ```ts
 * import { createTokenVerifier, generateKeyPair, readKeyFile } from "@realtime/hub/auth";
 *
 * const generated = await generateKeyPair("ES256");
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * if (generated.kind === "pair") {
 *   await Deno.writeTextFile(path, JSON.stringify(generated.publicJwk));
 * }
 * const file = await readKeyFile(path);
 * if (file.kind === "public") createTokenVerifier({ publicKey: file.publicKey });
 * ```
 */
export async function readKeyFile(path: string | URL): Promise<KeyFile> {
  const label = String(path);
  const text = await Deno.readTextFile(path);
  if (looksLikePem(text)) return await fromPem(text, label);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError(`Cannot read '${label}': expected PEM, a JWK or a JWK set`);
  }
  if (typeof parsed === "object" && parsed !== null && "keys" in parsed) {
    return fromJwks(parsed as JsonWebKeySet, label);
  }
  return await fromJwk(parsed as JsonWebKey, label);
}

/** A generated asymmetric key pair as JWKs, both carrying `kid`, `alg` and `use: "sig"`. */
export interface GeneratedKeyPair {
  /** Discriminant. */
  kind: "pair";
  /** The algorithm. */
  alg: JwsAlgorithm;
  /** The RFC 7638 thumbprint of the public key. */
  kid: string;
  /** The private key: keep it secret. */
  privateJwk: JsonWebKey & { kid: string };
  /** The public key: publish it, such as in a JWKS. */
  publicJwk: JsonWebKey & { kid: string };
}

/** A generated shared secret, as long as the algorithm's hash. */
export interface GeneratedSecret {
  /** Discriminant. */
  kind: "secret";
  /** The algorithm. */
  alg: JwsAlgorithm;
  /** The random secret. */
  secret: Uint8Array;
}

/**
 * Generates a signing key: an extractable key pair exported as JWKs for
 * asymmetric algorithms (RSA keys are 2048 bits), or random bytes for HS*.
 *
 * @param alg The algorithm the key is for.
 * @returns The key pair or the secret.
 * @throws {TypeError} When `alg` is not supported.
 *
 * @example Generate an ES256 key pair and sign with it
 * ```ts
 * import { generateKeyPair, mintToken } from "@realtime/hub/auth";
 *
 * const key = await generateKeyPair("ES256");
 * if (key.kind === "pair") {
 *   const token = await mintToken({ sub: "alice" }, { privateKey: key.privateJwk, alg: "ES256" }, {
 *     kid: key.kid,
 *   });
 * }
 * ```
 */
export async function generateKeyPair(
  alg: JwsAlgorithm,
): Promise<GeneratedKeyPair | GeneratedSecret> {
  if (!isJwsAlgorithm(alg)) {
    throw new TypeError(
      `Cannot generate a key for algorithm '${String(alg)}': it is not supported`,
    );
  }
  if (isHmacAlgorithm(alg)) {
    const length = Number(alg.slice(2)) / 8;
    return { kind: "secret", alg, secret: crypto.getRandomValues(new Uint8Array(length)) };
  }
  const { privateKey, publicKey } = await joseGenerateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey) as JsonWebKey;
  const kid = await calculateJwkThumbprint(
    publicJwk as Parameters<typeof calculateJwkThumbprint>[0],
  );
  const extra = { kid, alg, use: "sig" };
  return {
    kind: "pair",
    alg,
    kid,
    privateJwk: { ...(await exportJWK(privateKey) as JsonWebKey), ...extra },
    publicJwk: { ...publicJwk, ...extra },
  };
}
