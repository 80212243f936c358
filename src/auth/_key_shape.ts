/** What kind of key a PEM or JWK holds, read synchronously, and which algorithms fit it. */

import type { JwsAlgorithm } from "./algorithms.ts";

/** The key type and curve of a key, plus whether it is private. */
export interface KeyShape {
  kty: "RSA" | "RSA-PSS" | "EC" | "OKP" | "oct";
  crv?: string;
  private: boolean;
  /** The PEM label for PEM input: `PUBLIC KEY`, `CERTIFICATE` or `PRIVATE KEY`. */
  pem?: "PUBLIC KEY" | "CERTIFICATE" | "PRIVATE KEY";
}

const RSA_ALGS: JwsAlgorithm[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

/** The algorithms a key of this shape can verify or sign, or a TypeError naming the shape. */
export function algorithmsForShape(shape: KeyShape, label: string): JwsAlgorithm[] {
  switch (shape.kty) {
    case "oct":
      return ["HS256", "HS384", "HS512"];
    case "RSA":
      return [...RSA_ALGS];
    case "RSA-PSS":
      return ["PS256", "PS384", "PS512"];
    case "EC":
      if (shape.crv === "P-256") return ["ES256"];
      if (shape.crv === "P-384") return ["ES384"];
      break;
    case "OKP":
      if (shape.crv === "Ed25519") return ["EdDSA", "Ed25519"];
      break;
  }
  throw new TypeError(
    `Cannot use '${label}' with key type '${shape.kty}'${
      shape.crv ? ` and curve '${shape.crv}'` : ""
    }: supported are RSA, EC P-256, EC P-384 and Ed25519 keys`,
  );
}

/** Reads a JWK's shape, or throws a TypeError that names only its structure. */
export function jwkShape(jwk: unknown, label: string): KeyShape {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
    throw new TypeError(`Cannot use '${label}': expected a JSON Web Key object`);
  }
  const { kty, crv, d } = jwk as Record<string, unknown>;
  if (kty !== "RSA" && kty !== "EC" && kty !== "OKP" && kty !== "oct") {
    throw new TypeError(
      `Cannot use '${label}' with key type '${String(kty)}': expected RSA, EC, OKP or oct`,
    );
  }
  return {
    kty,
    crv: typeof crv === "string" ? crv : undefined,
    private: kty === "oct" || d !== undefined,
  };
}

/** Narrows a JWK's derived algorithms to its own `alg` member, when it has one. */
export function algorithmsForJwk(jwk: JsonWebKey, label: string): JwsAlgorithm[] {
  const derived = algorithmsForShape(jwkShape(jwk, label), label);
  if (jwk.alg === undefined) return derived;
  if (!(derived as string[]).includes(jwk.alg)) {
    throw new TypeError(
      `Cannot use '${label}' with alg '${jwk.alg}': the key supports ${derived.join(", ")}`,
    );
  }
  return [jwk.alg as JwsAlgorithm];
}

const OIDS: Readonly<Record<string, { kty: KeyShape["kty"]; crv?: string }>> = {
  "2a864886f70d010101": { kty: "RSA" },
  "2a864886f70d01010a": { kty: "RSA-PSS" },
  "2b6570": { kty: "OKP", crv: "Ed25519" },
  "2b6571": { kty: "OKP", crv: "Ed448" },
};
const EC_OID = "2a8648ce3d0201";
const CURVES: Readonly<Record<string, string>> = {
  "2a8648ce3d030107": "P-256",
  "2b81040022": "P-384",
  "2b81040023": "P-521",
};

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new RangeError("truncated");
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count < 1 || count > 3 || start + count > limit) throw new RangeError("bad length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
    start += count;
  }
  if (start + length > limit) throw new RangeError("truncated");
  return { tag, start, end: start + length };
}

function hex(der: Uint8Array, tlv: Tlv): string {
  return Array.from(der.subarray(tlv.start, tlv.end), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** Reads the AlgorithmIdentifier at `at` (a SEQUENCE of an OID and optional parameters). */
function algorithmShape(der: Uint8Array, at: number, limit: number): Omit<KeyShape, "private"> {
  const algId = readTlv(der, at, limit);
  const oid = readTlv(der, algId.start, algId.end);
  const oidHex = hex(der, oid);
  if (oidHex === EC_OID) {
    const params = readTlv(der, oid.end, algId.end);
    const curve = hex(der, params);
    return { kty: "EC", crv: CURVES[curve] ?? `oid:${curve}` };
  }
  const known = OIDS[oidHex];
  if (known === undefined) throw new RangeError(`unsupported key algorithm oid:${oidHex}`);
  return known;
}

function derShape(der: Uint8Array, pem: KeyShape["pem"]): KeyShape {
  const outer = readTlv(der, 0, der.length);
  let at = outer.start;
  if (pem === "PRIVATE KEY") {
    at = readTlv(der, at, outer.end).end; // version
    return { ...algorithmShape(der, at, outer.end), private: true, pem };
  }
  if (pem === "CERTIFICATE") {
    const tbs = readTlv(der, at, outer.end);
    at = tbs.start;
    if (der[at] === 0xa0) at = readTlv(der, at, tbs.end).end; // [0] version
    // serialNumber, signature, issuer, validity, subject precede subjectPublicKeyInfo
    for (let i = 0; i < 5; i++) at = readTlv(der, at, tbs.end).end;
    const spki = readTlv(der, at, tbs.end);
    return { ...algorithmShape(der, spki.start, spki.end), private: false, pem };
  }
  return { ...algorithmShape(der, at, outer.end), private: false, pem };
}

const PEM = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n\t ]+)-----END \1-----\s*$/;

/** Whether a string looks like PEM (so callers can tell PEM from JSON). */
export function looksLikePem(text: string): boolean {
  return text.trimStart().startsWith("-----BEGIN ");
}

/** Reads the shape of a PEM `PUBLIC KEY`, `CERTIFICATE` or `PRIVATE KEY`, never echoing its body. */
export function pemShape(pem: string, label: string): KeyShape {
  const match = typeof pem === "string" ? PEM.exec(pem.trim() + "\n") : null;
  if (match === null) {
    throw new TypeError(`Cannot use '${label}': expected a single PEM block`);
  }
  const kind = match[1];
  if (kind !== "PUBLIC KEY" && kind !== "CERTIFICATE" && kind !== "PRIVATE KEY") {
    const hint = kind.endsWith("PRIVATE KEY")
      ? ": convert it to PKCS#8 with 'openssl pkcs8 -topk8 -nocrypt'"
      : kind === "RSA PUBLIC KEY"
      ? ": convert it to SPKI with 'openssl rsa -RSAPublicKey_in -pubout'"
      : "";
    throw new TypeError(
      `Cannot use '${label}' with PEM type '${kind}': expected PUBLIC KEY, CERTIFICATE or PRIVATE KEY${hint}`,
    );
  }
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(match[2].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    return derShape(der, kind);
  } catch (error) {
    const detail = error instanceof RangeError ? `: ${error.message}` : "";
    throw new TypeError(`Cannot use '${label}': the PEM ${kind} is not valid DER${detail}`);
  }
}
