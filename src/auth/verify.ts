/**
 * Verifying JWTs into {@linkcode Principal}s.
 *
 * @module
 */

import { jwtVerify } from "./jose.ts";
import { ANONYMOUS_PRINCIPAL, type Principal } from "./principal.ts";
import { AuthError } from "./errors.ts";
import { readRoles } from "./roles.ts";
import { createKeySource, KeyImportError } from "./_key_source.ts";
import { toAuthError } from "./_jose_errors.ts";
import { checkCompactFormat } from "./_token_format.ts";
import { ClaimInterner } from "./_claim_interner.ts";

/** A JSON Web Key Set; each key may carry a `kid` for tokens to select it by. */
export interface JsonWebKeySet {
  /** The keys. */
  keys: (JsonWebKey & { kid?: string })[];
}

/**
 * Options for {@linkcode createTokenVerifier}. Give exactly one key source:
 * `secret`, `publicKey`, `jwks` or `jwksUrl`.
 */
export interface JwtOptions {
  /**
   * Shared secret for HS256/384/512. A string is used as its UTF-8 bytes;
   * at least 32 bytes are required.
   *
   * @default {undefined}
   */
  secret?: string | Uint8Array;
  /** Public key: PEM SPKI (`PUBLIC KEY`), PEM X.509 (`CERTIFICATE`) or a public JWK. @default {undefined} */
  publicKey?: string | JsonWebKey;
  /** A local JSON Web Key Set of public keys; tokens pick a key by `kid`. @default {undefined} */
  jwks?: JsonWebKeySet;
  /**
   * The URL of a remote JSON Web Key Set (an identity provider's
   * `jwks_uri`). Must be `https:`; plain `http:` only for loopback hosts or
   * with `allowInsecureJwks`.
   *
   * @default {undefined}
   */
  jwksUrl?: string | URL;
  /**
   * The algorithms to accept. Derived from the key when omitted: a secret
   * allows HS256/384/512; an RSA key RS* and PS*; EC P-256 ES256; EC P-384
   * ES384; Ed25519 EdDSA and Ed25519; a local JWKS what its keys allow; a
   * remote JWKS every asymmetric algorithm. Listing an algorithm the key
   * cannot serve (such as HS256 with a public key) throws a TypeError.
   *
   * @default {undefined}
   */
  algorithms?: string[];
  /** Accepted `iss` values; the claim is required when set. @default {undefined} */
  issuer?: string | string[];
  /** Accepted `aud` values; the claim is required when set. @default {undefined} */
  audience?: string | string[];
  /**
   * Allowed clock skew for `nbf` and `iat`, in seconds. It does not extend
   * `exp`: the hub closes a connection when its token expires, so a token
   * already expired is refused at the upgrade rather than let in and closed
   * at once.
   *
   * @default {5}
   */
  clockToleranceSec?: number;
  /** Claim name or dotted path holding the roles. @default {"roles"} */
  rolesClaim?: string;
  /** Longest token accepted, checked before any decoding. @default {8192} */
  maxTokenBytes?: number;
  /**
   * Reject tokens without `exp`. On by default: a token without expiry stays
   * valid forever once leaked. Set `false` to accept such service tokens (the
   * principal then has `expiresAt: null`); a revocation of their user is then
   * kept for the hub's whole life.
   *
   * @default {true}
   */
  requireExp?: boolean;
  /**
   * Longest lifetime accepted (`exp - iat`), in seconds. When set, tokens
   * must carry `iat` and `exp` (even with `requireExp: false`) and a longer
   * lived token is refused; the hub then forgets a user's revocation once
   * this lifetime (plus `clockToleranceSec`) has passed, as every token
   * issued before it has expired by then.
   *
   * @default {undefined}
   */
  maxTokenLifetimeSec?: number;
  /** The clock, in epoch milliseconds. @default {Date.now} */
  now?: () => number;
  /** The fetch used for `jwksUrl`. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /**
   * After fetching the remote JWKS, a token with an unknown `kid` does not
   * trigger another fetch for this long, in milliseconds.
   *
   * @default {30_000}
   */
  jwksCooldownMs?: number;
  /** How long a fetched remote JWKS is used before it is fetched again, in milliseconds. @default {600_000} */
  jwksCacheMaxAgeMs?: number;
  /**
   * How long one fetch of the remote JWKS may take, body included, in
   * milliseconds. The body is also capped at 1 MiB while it streams.
   *
   * @default {5_000}
   */
  jwksTimeoutMs?: number;
  /**
   * Allow a `jwksUrl` over plain `http:` to a host other than `localhost`,
   * `127.0.0.0/8` or `[::1]`. Keys fetched in clear text can be replaced by
   * anyone on the network path, so only set this on a network you trust.
   *
   * @default {false}
   */
  allowInsecureJwks?: boolean;
}

/** Verifies tokens; created by {@linkcode createTokenVerifier}. */
export interface TokenVerifier {
  /**
   * Verifies a compact JWT.
   *
   * @param token The token as received.
   * @returns The principal it proves.
   * @throws {AuthError} For any token that is not accepted.
   */
  verify(token: string): Promise<Principal>;
  /** The algorithms this verifier accepts. */
  readonly algorithms: readonly string[];
}

const MAX_SUB_LENGTH = 256;

function checkOptions(options: JwtOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("Cannot create a token verifier as 'options' is not an object");
  }
  const names = (value: unknown) =>
    typeof value === "string" ? value.length > 0 : Array.isArray(value) &&
      value.length > 0 && value.every((v) => typeof v === "string" && v.length > 0);
  for (const name of ["issuer", "audience"] as const) {
    if (options[name] !== undefined && !names(options[name])) {
      throw new TypeError(
        `Cannot create a token verifier as '${name}' is not a non-empty string or array of them`,
      );
    }
  }
  const numbers: [keyof JwtOptions, number | undefined, number][] = [
    ["clockToleranceSec", options.clockToleranceSec, 0],
    ["maxTokenBytes", options.maxTokenBytes, 16],
    ["jwksCooldownMs", options.jwksCooldownMs, 0],
    ["jwksCacheMaxAgeMs", options.jwksCacheMaxAgeMs, 0],
    ["maxTokenLifetimeSec", options.maxTokenLifetimeSec, 1],
    ["jwksTimeoutMs", options.jwksTimeoutMs, 1],
  ];
  for (const [name, value, min] of numbers) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
      throw new RangeError(
        `Cannot create a token verifier as '${name}' is ${value}: expected a whole number of at least ${min}`,
      );
    }
  }
  if (options.rolesClaim !== undefined && !names(options.rolesClaim)) {
    throw new TypeError("Cannot create a token verifier as 'rolesClaim' is not a non-empty string");
  }
  for (const name of ["requireExp", "allowInsecureJwks"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "boolean") {
      throw new TypeError(`Cannot create a token verifier as '${name}' is not a boolean`);
    }
  }
  for (const name of ["now", "fetch"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new TypeError(`Cannot create a token verifier as '${name}' is not a function`);
    }
  }
}

/**
 * Creates a token verifier. Options are validated and keys imported once,
 * here. Each token is checked in a fixed order: size (before any decoding),
 * format, algorithm allowlist, key, signature, claims (`iss`, `aud`, `nbf`,
 * `exp`, with tolerance), then `sub` (a non-empty string of at most 256
 * characters). The token's own `alg` is never trusted: it must be in the
 * allowlist, which is fixed by the key type.
 *
 * @param options The key source and the checks to apply.
 * @returns A verifier whose `verify` resolves to a {@linkcode Principal} or
 * rejects with an {@linkcode AuthError}.
 * @throws {TypeError} When the options are inconsistent (no or several key
 * sources, an algorithm the key cannot serve, a private or malformed key).
 * @throws {RangeError} When a secret is shorter than 32 bytes or a number is out of range.
 * A key that parses but that WebCrypto refuses (a 1024-bit RSA key, for
 * instance) makes `verify` reject with a `TypeError` rather than an
 * `AuthError`: it is the server's fault, not the client's.
 *
 * @example Verify a token signed with a shared secret
 * ```ts
 * import { createTokenVerifier, mintToken } from "@realtime/hub/auth";
 *
 * const secret = "a development secret of at least 32 bytes";
 * const verifier = createTokenVerifier({ secret, issuer: "hub-dev" });
 * const token = await mintToken({ sub: "alice", roles: ["admin"] }, { secret }, { iss: "hub-dev" });
 * const principal = await verifier.verify(token);
 * principal.sub; // "alice"
 * principal.roles; // ["admin"]
 * ```
 *
 * @example Read why a token was rejected
 * ```ts
 * import { AuthError } from "@realtime/hub";
 * import { createTokenVerifier } from "@realtime/hub/auth";
 *
 * const verifier = createTokenVerifier({ secret: "a development secret of at least 32 bytes" });
 * try {
 *   await verifier.verify("not.a.jwt");
 * } catch (error) {
 *   if (error instanceof AuthError) error.reason; // "malformed"
 * }
 * ```
 */
export function createTokenVerifier(options: JwtOptions): TokenVerifier {
  checkOptions(options);
  const source = createKeySource(options);
  const algorithms = Object.freeze([...source.algorithms]);
  const {
    issuer,
    audience,
    clockToleranceSec = 5,
    rolesClaim = "roles",
    maxTokenBytes = 8192,
    requireExp = true,
    maxTokenLifetimeSec,
    now = Date.now,
  } = options;

  const joseAlgorithms = [...algorithms];
  // Identical tokens' `roles` and capability claims: one frozen copy for all.
  const interner = new ClaimInterner();
  const requiredClaims = maxTokenLifetimeSec !== undefined
    ? ["exp", "iat"]
    : requireExp
    ? ["exp"]
    : [];

  async function verify(token: string): Promise<Principal> {
    if (typeof token !== "string" || token.length === 0) throw new AuthError("missing");
    // Length in UTF-16 units equals bytes for any well-formed (ASCII) token.
    if (token.length > maxTokenBytes) throw new AuthError("too_large");
    checkCompactFormat(token);
    // The header is decoded once, by jose: it refuses an `alg` outside
    // `joseAlgorithms` (JOSEAlgNotAllowed) before resolving a key or
    // checking the signature. Decoding it here first cost ~2 us a token.
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, source.resolve, {
        algorithms: joseAlgorithms,
        issuer,
        audience,
        clockTolerance: clockToleranceSec,
        currentDate: new Date(now()),
        requiredClaims,
      }));
    } catch (error) {
      if (error instanceof KeyImportError) throw error;
      throw toAuthError(error);
    }
    const { sub, exp, iat } = payload;
    // jose allowed `exp` the tolerance; the hub would close such a connection at once.
    if (typeof exp === "number" && exp * 1000 <= now()) throw new AuthError("expired");
    if (
      maxTokenLifetimeSec !== undefined &&
      !(typeof exp === "number" && typeof iat === "number" && exp - iat <= maxTokenLifetimeSec)
    ) {
      throw new AuthError("invalid");
    }
    if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_SUB_LENGTH) {
      throw new AuthError("missing_sub");
    }
    // The name of token-less connections: a token must not pass for one.
    if (sub === ANONYMOUS_PRINCIPAL.sub) throw new AuthError("reserved_sub");
    interner.intern(payload);
    return {
      sub,
      roles: principalRoles(payload, rolesClaim),
      claims: Object.freeze(payload),
      expiresAt: typeof exp === "number" ? exp * 1000 : null,
    };
  }

  return { verify, algorithms };
}

const NO_ROLES: readonly string[] = Object.freeze([]);

/**
 * A principal's roles: the claim's own array when it already is a list of
 * roles (every connection keeps them, and the claims too: one array, not
 * two), else what {@linkcode readRoles} makes of the claim.
 */
function principalRoles(payload: Record<string, unknown>, rolesClaim: string): readonly string[] {
  const value = Object.hasOwn(payload, rolesClaim) ? payload[rolesClaim] : undefined;
  if (Array.isArray(value) && value.every((r) => typeof r === "string" && r.length > 0)) {
    return value.length === 0 ? NO_ROLES : Object.freeze(value as string[]);
  }
  const roles = readRoles(payload, rolesClaim);
  return roles.length === 0 ? NO_ROLES : Object.freeze(roles);
}
