/**
 * `@realtime/hub/signing`: signed publications any subscriber can verify.
 *
 * A publisher signs a JWT claims set `{topic, data, jti, iat, exp?}` with a
 * key the topic's owner holds; the hub verifies it before fan-out and
 * forwards the exact compact JWS, so every subscriber can verify it again
 * without trusting the hub. Browser-safe: Web Crypto through `jose`.
 *
 * @example Sign, then verify as a subscriber would
 * ```ts
 * import { createPublicationVerifier, signPublication } from "@realtime/hub/signing";
 * import assert from "node:assert/strict";
 *
 * const secret = "a publication secret of at least 32 bytes";
 * const jws = await signPublication("alerts:eu", { level: "high" }, secret);
 * const subscriber = createPublicationVerifier({ keys: secret, checkFreshness: false });
 * const result = await subscriber.verify("alerts:eu", jws);
 * assert.equal(result.ok, true);
 * ```
 *
 * @module
 */

export * from "./admit.ts";
export * from "./replay_memory.ts";
export * from "./sign.ts";
export * from "./subscriber_verifier.ts";
export * from "./verify.ts";
