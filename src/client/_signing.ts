// What the first signed publish or `verify` subscription loads, in one
// piece: the signing core with jose, the client's signers, and the verified
// handler. One module rather than one dynamic import each, so a bundler makes
// one chunk of what they share with the page (each chunk is one more file the
// page fetches and gzips on its own); jose, most of the weight, is shared by
// both anyway.

import { subscriberVerifier } from "../signing/subscriber_verifier.ts";
import {
  type VerificationFailure,
  type VerifiedHandler,
  verifiedHandler,
  type VerifyKeys,
} from "./verified_handler.ts";
import type { MessageHandler } from "./subscription.ts";

export { Signers } from "./_signers.ts";

/** `verifiedHandler(handler, subscriberVerifier(keys), onFailure)`. */
export function verifying(
  handler: MessageHandler,
  keys: VerifyKeys,
  onFailure: (failure: VerificationFailure) => void,
): VerifiedHandler {
  return verifiedHandler(handler, subscriberVerifier(keys), onFailure);
}
