// The `verify` option's handler, with its verifier loaded on first use.
// Verification runs on jose (Web Crypto JWS), most of the client's weight:
// a client that never verifies must not download it, so the signing core
// and the handler that uses it are imported dynamically here (`_signing.ts`), and a bundler
// puts them in chunks of their own.

import type { VerificationFailure, VerifiedHandler, VerifyKeys } from "./verified_handler.ts";
import type { MessageHandler } from "./subscription.ts";

/**
 * `verifiedHandler(handler, subscriberVerifier(keys), onFailure)`, once the
 * signing core is loaded; rejects with its TypeError or RangeError when the
 * keys are unusable.
 */
export async function loadVerifiedHandler(
  handler: MessageHandler,
  keys: VerifyKeys,
  onFailure: (failure: VerificationFailure) => void,
): Promise<VerifiedHandler> {
  return (await import("./_signing.ts")).verifying(handler, keys, onFailure);
}
