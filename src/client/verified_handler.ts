/**
 * Verifying signed publications on a subscription: the glue between
 * {@linkcode RealtimeClient.subscribe}'s `verify` option and the signing
 * core (`@realtime/hub/signing`). Each message's `jws` is verified as it
 * arrives (verifications run concurrently), and messages reach the handler
 * in arrival order: a slow ES256 verification holds back the fast HS256 one
 * behind it. A message whose signature fails, or that has no `jws`, is
 * dropped and reported, never delivered. Web Crypto through `jose` only: it
 * runs in browsers and Deno alike. This module holds only the ordering; the
 * verifier comes from `subscriberVerifier` (`@realtime/hub/signing`), which
 * `RealtimeClient` imports on first use so that a client that never verifies
 * never loads `jose`.
 *
 * @module
 */

// Types only: the verifier is built by `subscriberVerifier` in the signing
// core, which the client loads on first use (see `_lazy_verified_handler.ts`).
import type {
  PublicationKeys,
  PublicationVerification,
  PublicationVerifier,
  SignatureErrorCode,
} from "../signing/verify.ts";
import { guard } from "./_guard.ts";
import type { MessageHandler, RealtimeMessage } from "./subscription.ts";

/**
 * What `verify` takes: the keys a subscriber trusts (a shared secret, a PEM
 * public key or certificate, a public JWK, a symmetric JWK or a JWK set), or
 * a verifier from `createPublicationVerifier`. Keys get a verifier in
 * subscriber mode (`subscriberVerifier` from `@realtime/hub/signing`,
 * `checkFreshness: false`): the signature and the `topic` claim count, not
 * `exp` or `jti`, so messages replayed from history verify.
 */
export type VerifyKeys = PublicationKeys | PublicationVerifier;

/** Why a message on a `verify` subscription was dropped, as a stable code. */
export type VerificationFailureCode = SignatureErrorCode;

/** A message dropped on a `verify` subscription, passed to `verification_failed` listeners. */
export interface VerificationFailure {
  /** The concrete topic the message came on. */
  readonly topic: string;
  /** Its offset, on a topic with history. */
  readonly offset?: number;
  /** The publisher's subject as the hub reported it (not verified). */
  readonly from: string | null;
  /**
   * Why: `SIGNATURE_REQUIRED` for a message without `jws`, else the
   * verifier's code (`SIGNATURE_INVALID`, `SIGNATURE_ALGORITHM`,
   * `SIGNATURE_TOPIC`, `SIGNATURE_TOO_LARGE`...).
   */
  readonly code: VerificationFailureCode;
  /** What was wrong; never the JWS, a key or a claim value. */
  readonly reason: string;
}

/** A handler that verifies before delivering; created by {@linkcode verifiedHandler}. */
export interface VerifiedHandler {
  /** Takes each message in arrival order; delivers it once verified. */
  readonly handler: MessageHandler;
  /** Stops delivering and reporting, also for messages still being verified. */
  cancel(): void;
}

const MISSING: PublicationVerification = {
  ok: false,
  code: "SIGNATURE_REQUIRED",
  message: "Message has no 'jws' on a subscription that verifies signatures",
};

/**
 * Wraps a handler so that it receives only messages whose `jws` verifies,
 * with the verified `data` claim as `payload` and `verified: true`, in the
 * order they arrived. Others go to `onFailure`.
 *
 * @param handler The application's handler.
 * @param verifier The verifier, from `subscriberVerifier` (`@realtime/hub/signing`).
 * @param onFailure Told about each dropped message.
 * @returns The wrapping handler and its `cancel`.
 *
 * @example Deliver what verifies, report what does not
 * ```ts
 * import { verifiedHandler } from "@realtime/hub/client";
 * import { signPublication, subscriberVerifier } from "@realtime/hub/signing";
 * import assert from "node:assert/strict";
 *
 * const secret = "a publication secret of at least 32 bytes";
 * const jws = await signPublication("prices:eur", 1.08, secret);
 * const seen: unknown[] = [];
 * const failed = Promise.withResolvers<string>();
 * const { handler } = verifiedHandler(
 *   (msg) => seen.push(msg.payload),
 *   subscriberVerifier(secret),
 *   (failure) => failed.resolve(failure.code),
 * );
 * handler({ topic: "prices:eur", payload: 1.08, from: "svc", ts: 0, jws });
 * handler({ topic: "prices:eur", payload: 9.99, from: "eve", ts: 0 });
 * assert.equal(await failed.promise, "SIGNATURE_REQUIRED");
 * assert.deepEqual(seen, [1.08]);
 * ```
 */
export function verifiedHandler(
  handler: MessageHandler,
  verifier: Pick<PublicationVerifier, "verify">,
  onFailure: (failure: VerificationFailure) => void,
): VerifiedHandler {
  let cancelled = false;
  // The tail of this handler's queue: each message waits for the one before.
  let tail: Promise<void> = Promise.resolve();

  function settle(message: RealtimeMessage, result: PublicationVerification): void {
    if (cancelled) return;
    if (result.ok) {
      // Guarded: a handler that throws must not stall the queue behind it.
      guard(() => handler({ ...message, payload: result.payload, verified: true }));
      return;
    }
    const failure: { -readonly [K in keyof VerificationFailure]: VerificationFailure[K] } = {
      topic: message.topic ?? "",
      from: message.from,
      code: result.code,
      reason: result.message,
    };
    if (message.offset !== undefined) failure.offset = message.offset;
    guard(() => onFailure(failure));
  }

  function take(message: RealtimeMessage): void {
    if (cancelled) return;
    const jws = message.jws;
    const topic = message.topic;
    // Started now, so verifications overlap; delivered in turn.
    const verification: Promise<PublicationVerification> = typeof jws !== "string" || topic === null
      ? Promise.resolve(MISSING)
      : verifier.verify(topic, jws).catch(() => ({
        ok: false as const,
        code: "SIGNATURE_INVALID" as const,
        message: "The subscription's key could not be imported",
      }));
    tail = tail.then(() => verification).then((result) => settle(message, result));
  }

  return {
    handler: take,
    cancel: () => {
      cancelled = true;
    },
  };
}
