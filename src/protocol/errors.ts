/**
 * The one error model of the server side: an error a client may see
 * carries a protocol {@linkcode ErrorCode} and a message safe to show;
 * anything else that escapes a request is the server's fault, answered
 * `INTERNAL` with a generic message and logged with its detail.
 *
 * @module
 */

import type { ErrorCode } from "./codes.ts";
import { RETRYABLE } from "./retryable.ts";

/** Options of {@linkcode HubError}. */
export interface HubErrorOptions {
  /**
   * The underlying failure, for operators' logs; never sent to a client.
   *
   * @default {undefined}
   */
  cause?: unknown;
}

/**
 * A request refused with a stable code whose message may be shown to the
 * client: the hub sends both in an `error` frame, the admin API in its JSON
 * body. Throw it (or a subclass: `AuthError`, `PublishError`, the admin
 * API's input errors)
 * from code that handles a client's request when the client should learn
 * why; any other error thrown there (a `TypeError` from a bug, a failed
 * dependency) reaches the client only as `INTERNAL` with a generic message.
 *
 * The message must say what was wrong and the value seen, and never hold a
 * token, a secret or a stack trace.
 *
 * @example Refuse a request with a code the client can switch on
 * ```ts
 * import { HubError } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * const error = new HubError("FORBIDDEN", "Cannot join 'room:7': it is full");
 * assert.equal(error.code, "FORBIDDEN");
 * assert.equal(error.retry, false);
 * assert.ok(error instanceof Error);
 * ```
 */
export class HubError extends Error {
  /** The stable code, as in the protocol's `error` frames. */
  readonly code: ErrorCode;

  /**
   * Creates the error.
   *
   * @param code The stable code.
   * @param message What was wrong, safe to show to the client.
   * @param options A cause for operators' logs.
   */
  constructor(code: ErrorCode, message: string, options: HubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HubError";
    this.code = code;
  }

  /** Whether retrying the same request can succeed (the code's `retry`). */
  get retry(): boolean {
    return RETRYABLE[this.code] ?? false;
  }
}
