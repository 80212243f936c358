// What the first `verify` subscription loads, in one piece: the signing
// core's verifier (with jose) and the handler that uses it. One module
// rather than two dynamic imports, so a bundler makes one chunk of what
// they share with the page instead of one per import.

import { subscriberVerifier } from "../signing/subscriber_verifier.ts";
import {
  type VerificationFailure,
  type VerifiedHandler,
  verifiedHandler,
  type VerifyKeys,
} from "./verified_handler.ts";
import type { MessageHandler } from "./subscription.ts";

/** `verifiedHandler(handler, subscriberVerifier(keys), onFailure)`. */
export function verifying(
  handler: MessageHandler,
  keys: VerifyKeys,
  onFailure: (failure: VerificationFailure) => void,
): VerifiedHandler {
  return verifiedHandler(handler, subscriberVerifier(keys), onFailure);
}
