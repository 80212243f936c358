/**
 * The verifier a subscriber checks received publications with: in
 * subscriber mode (`checkFreshness: false`), the signature and the `topic`
 * claim count, not `exp` or `jti`, so messages replayed from history
 * verify. `RealtimeClient.subscribe`'s `verify` option uses it.
 *
 * @module
 */

import {
  createPublicationVerifier,
  type PublicationKeys,
  type PublicationVerifier,
} from "./verify.ts";

function isVerifier(value: unknown): value is PublicationVerifier {
  return typeof value === "object" && value !== null &&
    typeof (value as Partial<PublicationVerifier>).verify === "function";
}

/**
 * The verifier for a subscriber: the one given, or one for the keys in
 * subscriber mode.
 *
 * @param keys The keys (a shared secret, a PEM public key or certificate, a
 * public JWK or a JWK set) or a verifier.
 * @returns The verifier.
 * @throws {TypeError} When the keys are unusable (a private key, `none`).
 * @throws {RangeError} When a secret is shorter than 32 bytes.
 *
 * @example Keys become a subscriber-mode verifier
 * ```ts
 * import { signPublication, subscriberVerifier } from "@realtime/hub/signing";
 * import assert from "node:assert/strict";
 *
 * const secret = "a publication secret of at least 32 bytes";
 * const verifier = subscriberVerifier(secret);
 * assert.deepEqual(verifier.algorithms, ["HS256", "HS384", "HS512"]);
 * const jws = await signPublication("prices:eur", 1.08, secret);
 * assert.equal((await verifier.verify("prices:eur", jws)).ok, true);
 * assert.equal((await verifier.verify("prices:eur", jws)).ok, true, "no replay check");
 * ```
 */
export function subscriberVerifier(
  keys: PublicationKeys | PublicationVerifier,
): PublicationVerifier {
  if (isVerifier(keys)) return keys;
  return createPublicationVerifier({ keys, checkFreshness: false });
}
