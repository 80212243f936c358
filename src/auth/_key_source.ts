/** Turns JwtOptions' one key source into an algorithm allowlist and a key resolver. */

import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type FlattenedJWSInput,
  importJWK,
  importSPKI,
  importX509,
  JOSENotSupported,
  JWKSMultipleMatchingKeys,
  JWKSNoMatchingKey,
  type JWSHeaderParameters,
} from "./jose.ts";
import { isJwsAlgorithm, type JwsAlgorithm } from "./algorithms.ts";
import { AuthError } from "./errors.ts";
import { secretBytes } from "./_secret.ts";
import { algorithmsForJwk, algorithmsForShape, jwkShape, pemShape } from "./_key_shape.ts";

/** Resolves the verification key for a token whose `alg` is already allowed. */
export type KeyResolver = (
  header: JWSHeaderParameters,
  token: FlattenedJWSInput,
) => Promise<CryptoKey>;

/** What the verifier needs from its key source. */
export interface KeySource {
  algorithms: readonly JwsAlgorithm[];
  resolve: KeyResolver;
}

/** The options this module reads; see JwtOptions for their documentation. */
export interface KeySourceOptions {
  secret?: string | Uint8Array;
  publicKey?: string | JsonWebKey;
  jwks?: { keys: (JsonWebKey & { kid?: string })[] };
  jwksUrl?: string | URL;
  algorithms?: string[];
  fetch?: typeof fetch;
  jwksCooldownMs?: number;
  jwksCacheMaxAgeMs?: number;
  jwksTimeoutMs?: number;
  allowInsecureJwks?: boolean;
  /** What is being created, for error messages. @default {"token verifier"} */
  subject?: string;
}

/** Largest remote JWKS body read; a key set is a few KiB. */
export const MAX_JWKS_BYTES = 1024 * 1024;

const ASYMMETRIC: JwsAlgorithm[] = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "EdDSA",
  "Ed25519",
];
const HASH: Readonly<Record<string, string>> = {
  HS256: "SHA-256",
  HS384: "SHA-384",
  HS512: "SHA-512",
};

function allowlist(
  explicit: string[] | undefined,
  derived: JwsAlgorithm[],
  source: string,
  subject: string,
): JwsAlgorithm[] {
  if (explicit === undefined) return derived;
  if (!Array.isArray(explicit) || explicit.length === 0) {
    throw new TypeError(`Cannot create a ${subject} as 'algorithms' is not a non-empty array`);
  }
  for (const alg of explicit) {
    if (!isJwsAlgorithm(alg)) {
      throw new TypeError(
        `Cannot create a ${subject} with algorithm '${String(alg)}': it is not supported`,
      );
    }
    if (!derived.includes(alg)) {
      throw new TypeError(
        `Cannot create a ${subject} with algorithm '${alg}' and a ${source}: it allows only ${
          derived.join(", ")
        }`,
      );
    }
  }
  return [...new Set(explicit as JwsAlgorithm[])];
}

/** A configured key that WebCrypto refused: a server misconfiguration, not a bad token. */
export class KeyImportError extends TypeError {}

/** Imports one key per algorithm now; failures surface (as TypeError) on the first verify. */
function preImported(
  algorithms: JwsAlgorithm[],
  load: (alg: JwsAlgorithm) => Promise<CryptoKey>,
  source: string,
): KeyResolver {
  const keys = new Map<string, Promise<CryptoKey>>();
  for (const alg of algorithms) {
    const pending = load(alg).then((key) => {
      const bits = (key.algorithm as Partial<RsaHashedKeyAlgorithm>).modulusLength;
      if (bits !== undefined && bits < 2048) {
        throw new KeyImportError(
          `Cannot use the configured ${source} of ${bits} bits: RSA keys need at least 2048`,
        );
      }
      return key;
    }, () => {
      throw new KeyImportError(`Cannot import the configured ${source} for ${alg}`);
    });
    pending.catch(() => {}); // reported by verify, not as an unhandled rejection
    keys.set(alg, pending);
  }
  return (header) => {
    const key = keys.get(header.alg ?? "");
    if (key === undefined) return Promise.reject(new AuthError("alg_not_allowed"));
    return key;
  };
}

function fromSecret(options: KeySourceOptions, subject: string): KeySource {
  const bytes = secretBytes(options.secret, "secret");
  const algorithms = allowlist(options.algorithms, ["HS256", "HS384", "HS512"], "secret", subject);
  const resolve = preImported(
    algorithms,
    (alg) =>
      crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: HASH[alg] }, false, ["verify"]),
    "secret",
  );
  return { algorithms, resolve };
}

function fromPublicKey(
  key: string | JsonWebKey,
  explicit: string[] | undefined,
  subject: string,
): KeySource {
  const pem = typeof key === "string";
  const shape = pem ? pemShape(key, "publicKey") : jwkShape(key, "publicKey");
  if (shape.private) {
    throw new TypeError(
      shape.kty === "oct"
        ? "Cannot use 'publicKey' with a symmetric JWK: pass it as 'secret' instead"
        : "Cannot use 'publicKey' with a private key: pass only its public part",
    );
  }
  const derived = pem
    ? algorithmsForShape(shape, "publicKey")
    : algorithmsForJwk(key as JsonWebKey, "publicKey");
  const algorithms = allowlist(explicit, derived, "public key", subject);
  const load = (alg: JwsAlgorithm) =>
    (!pem
      ? importJWK(key as JsonWebKey, alg)
      : shape.pem === "CERTIFICATE"
      ? importX509(key as string, alg)
      : importSPKI(key as string, alg)) as Promise<CryptoKey>;
  return { algorithms, resolve: preImported(algorithms, load, "public key") };
}

function fromLocalJwks(
  jwks: { keys: JsonWebKey[] },
  explicit: string[] | undefined,
  subject: string,
): KeySource {
  if (typeof jwks !== "object" || jwks === null || !Array.isArray(jwks.keys)) {
    throw new TypeError("Cannot use 'jwks': expected an object with a 'keys' array");
  }
  if (jwks.keys.length === 0) throw new TypeError("Cannot use 'jwks': its 'keys' array is empty");
  const derived = new Set<JwsAlgorithm>();
  jwks.keys.forEach((jwk, index) => {
    const label = `jwks.keys[${index}]`;
    const shape = jwkShape(jwk, label);
    if (shape.private) {
      throw new TypeError(`Cannot use '${label}': a JWKS for verification holds only public keys`);
    }
    for (const alg of algorithmsForJwk(jwk, label)) derived.add(alg);
  });
  const algorithms = allowlist(
    explicit,
    ASYMMETRIC.filter((a) => derived.has(a)),
    "JWKS",
    subject,
  );
  return { algorithms, resolve: jwksResolver(createLocalJWKSet(jwks), false) };
}

/** A body stream that errors, and cancels its source, past `limit` bytes. */
function capped(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      seen += value.byteLength;
      if (seen > limit) {
        const error = new RangeError(`JWKS response is over ${limit} bytes`);
        controller.error(error);
        await reader.cancel(error).catch(() => {});
        return;
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * Releases a non-200 body jose would leave unread, and bounds a 200 body
 * while it streams, so a hostile or broken endpoint cannot fill memory.
 */
function boundedFetch(fetchImpl: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (response.status !== 200 || response.body === null) {
      await response.body?.cancel();
      return new Response(null, { status: response.status });
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > MAX_JWKS_BYTES) {
      await response.body.cancel();
      throw new RangeError(`JWKS response is over ${MAX_JWKS_BYTES} bytes`);
    }
    return new Response(capped(response.body, MAX_JWKS_BYTES), {
      status: 200,
      headers: response.headers,
    });
  };
}

/** Hosts plain `http:` is allowed for without `allowInsecureJwks`. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

function fromRemoteJwks(options: KeySourceOptions, subject: string): KeySource {
  let url: URL;
  try {
    url = new URL(options.jwksUrl as string | URL);
  } catch {
    throw new TypeError("Cannot use 'jwksUrl': it is not an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`Cannot use 'jwksUrl' with protocol '${url.protocol}': expected https:`);
  }
  // Keys fetched in clear text can be swapped by anyone on the path.
  if (
    url.protocol === "http:" && !isLoopbackHost(url.hostname) && options.allowInsecureJwks !== true
  ) {
    throw new TypeError(
      `Cannot use 'jwksUrl' over http: for host '${url.hostname}': use https:, or set 'allowInsecureJwks' on a network you trust`,
    );
  }
  const algorithms = allowlist(options.algorithms, ASYMMETRIC, "remote JWKS", subject);
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
    [customFetch]: boundedFetch(options.fetch ?? globalThis.fetch),
  });
  return { algorithms, resolve: jwksResolver(remote, true) };
}

function jwksResolver(
  jwks: (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>,
  remote: boolean,
): KeyResolver {
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      if (
        error instanceof JWKSNoMatchingKey ||
        error instanceof JWKSMultipleMatchingKeys
      ) {
        throw new AuthError("unknown_kid");
      }
      if (error instanceof JOSENotSupported) throw new AuthError("alg_not_allowed");
      // Network, HTTP status, JSON and key-import failures: the key set, not the token, is at fault.
      throw new AuthError(remote ? "jwks_unavailable" : "invalid", { cause: error });
    }
  };
}

/** Validates the key-source options and builds the allowlist and resolver, importing keys once. */
export function createKeySource(options: KeySourceOptions): KeySource {
  const subject = options.subject ?? "token verifier";
  const given = (["secret", "publicKey", "jwks", "jwksUrl"] as const).filter((name) =>
    options[name] !== undefined
  );
  if (given.length !== 1) {
    throw new TypeError(
      `Cannot create a ${subject} with ${given.length} key sources${
        given.length ? ` (${given.join(", ")})` : ""
      }: expected exactly one of secret, publicKey, jwks or jwksUrl`,
    );
  }
  if (options.algorithms?.some((alg) => alg === "none")) {
    throw new TypeError(`Cannot create a ${subject} with algorithm 'none'`);
  }
  switch (given[0]) {
    case "secret":
      return fromSecret(options, subject);
    case "publicKey":
      return fromPublicKey(options.publicKey!, options.algorithms, subject);
    case "jwks":
      return fromLocalJwks(options.jwks!, options.algorithms, subject);
    case "jwksUrl":
      return fromRemoteJwks(options, subject);
  }
}
