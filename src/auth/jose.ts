/**
 * The one import of `jose` for every module of this package, at the
 * version `deno.json` pins (and `deno.lock` locks).
 *
 * @module
 */

export * from "jose";
// By name, from jose's own entry points: reading them off the `errors` and
// `base64url` namespaces makes a bundler build namespace objects (a helper
// every chunk of a browser page then imports).
export {
  JOSEAlgNotAllowed,
  JOSENotSupported,
  JWKSMultipleMatchingKeys,
  JWKSNoMatchingKey,
  JWSSignatureVerificationFailed,
} from "jose/errors";
export { decode as base64urlDecode, encode as base64urlEncode } from "jose/base64url";
