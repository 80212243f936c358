/**
 * The error {@linkcode Hub.publish} rejects with when a topic's signing rule
 * refuses the publication.
 *
 * @module
 */

import type { ErrorCode } from "../protocol/codes.ts";
import { HubError } from "../protocol/errors.ts";
import type { SignatureErrorCode } from "../signing/verify.ts";

/** The codes a {@linkcode PublishError} carries: the ones a client's publish would get. */
export type PublishErrorCode = SignatureErrorCode | Extract<ErrorCode, "BAD_REQUEST" | "INTERNAL">;

/**
 * A server-side publication refused by the topic's signing rule: the same
 * code and message a client's `publish` frame would get. The message never
 * holds the JWS or a key.
 *
 * @example Tell a missing signature from a bad one
 * ```ts
 * import { createHub, PublishError } from "@realtime/hub";
 * import assert from "node:assert/strict";
 *
 * const hub = createHub({
 *   auth: { secret: "a-development-secret-of-32-bytes!!" },
 *   acl: {
 *     rules: [{
 *       effect: "allow",
 *       actions: ["publish"],
 *       topics: ["prices:*"],
 *       signed: { keys: "a publication secret of at least 32 bytes" },
 *     }],
 *   },
 * });
 * const error = await hub.publish("prices:eur", 1.08).catch((e) => e);
 * assert.ok(error instanceof PublishError);
 * assert.equal(error.code, "SIGNATURE_REQUIRED");
 * await hub.close();
 * ```
 */
export class PublishError extends HubError {
  /** Stable code, as in the protocol's `error` frames. */
  declare readonly code: PublishErrorCode;

  /**
   * Creates the error.
   *
   * @param code Stable code.
   * @param message What was wrong, safe to show.
   */
  constructor(code: PublishErrorCode, message: string) {
    super(code, message);
    this.name = "PublishError";
  }
}
