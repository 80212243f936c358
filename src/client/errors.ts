/**
 * The one error class of the client, with a stable `code` to switch on.
 *
 * @module
 */

import type { ErrorCode } from "../protocol/codes.ts";
import type { AuthFailureReason } from "../protocol/auth_failures.ts";

/**
 * Why a request failed or the client closed: a protocol {@linkcode ErrorCode}
 * sent by the server, or one of the client's own:
 *
 * - `TIMEOUT`: no answer within the request timeout.
 * - `DISCONNECTED`: the connection dropped after the request was sent; it may
 *   or may not have reached the server.
 * - `QUEUE_FULL`: the client is reconnecting and too many publishes wait.
 * - `CLOSED`: the client was closed, or stopped for good (see `cause`).
 * - `UNSUPPORTED`: this runtime cannot do what the options ask.
 */
export type RealtimeErrorCode =
  | ErrorCode
  | "TIMEOUT"
  | "DISCONNECTED"
  | "QUEUE_FULL"
  | "CLOSED"
  | "UNSUPPORTED";

/** Options of the {@linkcode RealtimeError} constructor. */
export interface RealtimeErrorOptions {
  /**
   * Whether retrying the same request can succeed.
   *
   * @default {false}
   */
  retry?: boolean;
  /** The WebSocket close code that ended the connection, if one did. */
  closeCode?: number;
  /** The topic or pattern the failed request named. */
  topic?: string;
  /** Why the hub refused the token, when it said so. */
  authReason?: AuthFailureReason;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error from the hub or from the client's own bookkeeping. Switch on
 * {@linkcode RealtimeError.code}; the message is for people.
 *
 * @example Tell a denied publish from a timeout
 * ```ts
 * import { RealtimeError } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * const error = new RealtimeError("FORBIDDEN", "Not allowed to publish to 'admin:x'", {
 *   topic: "admin:x",
 * });
 * assert.equal(error.code, "FORBIDDEN");
 * assert.equal(error.retry, false);
 * assert.ok(error instanceof Error);
 * ```
 */
export class RealtimeError extends Error {
  /** The stable code. */
  readonly code: RealtimeErrorCode;
  /** Whether retrying the same request can succeed. */
  readonly retry: boolean;
  /** The WebSocket close code, when a close caused the error. */
  readonly closeCode: number | undefined;
  /** The topic or pattern of the failed request, when it had one. */
  readonly topic: string | undefined;
  /**
   * Why the hub refused the token (`"expired"`, `"bad_signature"`, ...),
   * when it closed with 4001 and its words name a reason: for a page to
   * say "your session expired" rather than "reconnecting".
   */
  readonly authReason: AuthFailureReason | undefined;

  /**
   * Creates an error.
   *
   * @param code The stable code.
   * @param message What went wrong, for people.
   * @param options Retry hint, close code, topic and cause.
   */
  constructor(code: RealtimeErrorCode, message: string, options: RealtimeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RealtimeError";
    this.code = code;
    this.retry = options.retry ?? false;
    this.closeCode = options.closeCode;
    this.topic = options.topic;
    this.authReason = options.authReason;
  }
}
