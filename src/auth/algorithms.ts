/**
 * The JWS algorithms the hub signs and verifies with.
 *
 * @module
 */

/** A JWS `alg` the hub supports. `Ed25519` is the newer name for `EdDSA` over Ed25519. */
export type JwsAlgorithm =
  | "HS256"
  | "HS384"
  | "HS512"
  | "RS256"
  | "RS384"
  | "RS512"
  | "PS256"
  | "PS384"
  | "PS512"
  | "ES256"
  | "ES384"
  | "EdDSA"
  | "Ed25519";

/**
 * Every supported algorithm, symmetric ones first. `none` is never supported.
 *
 * @example Check a command-line argument
 * ```ts
 * import { SUPPORTED_ALGORITHMS } from "@realtime/hub/auth";
 *
 * SUPPORTED_ALGORITHMS.includes("RS256"); // true
 * ```
 */
export const SUPPORTED_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze([
  "HS256",
  "HS384",
  "HS512",
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
]);

/**
 * Whether `alg` is a supported algorithm.
 *
 * @param alg Any value, such as a header's `alg`.
 * @returns `true` when `alg` is one of {@linkcode SUPPORTED_ALGORITHMS}.
 *
 * @example Validate user input
 * ```ts
 * import { isJwsAlgorithm } from "@realtime/hub/auth";
 *
 * isJwsAlgorithm("ES256"); // true
 * isJwsAlgorithm("none"); // false
 * ```
 */
export function isJwsAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return typeof alg === "string" && (SUPPORTED_ALGORITHMS as readonly string[]).includes(alg);
}

/**
 * Whether `alg` is an HMAC (shared secret) algorithm.
 *
 * @param alg A supported algorithm.
 * @returns `true` for `HS256`, `HS384` and `HS512`.
 *
 * @example Decide what kind of key to ask for
 * ```ts
 * import { isHmacAlgorithm } from "@realtime/hub/auth";
 *
 * isHmacAlgorithm("HS256"); // true
 * isHmacAlgorithm("RS256"); // false
 * ```
 */
export function isHmacAlgorithm(alg: JwsAlgorithm): boolean {
  return alg === "HS256" || alg === "HS384" || alg === "HS512";
}
