/**
 * Whether retrying a request can succeed, per protocol error code: the
 * `retry` of every `error` frame. Apart from the codes (`codes.ts`) so that
 * a browser page, which needs the close codes, does not load it.
 *
 * @module
 */

import type { ErrorCode } from "./codes.ts";

/**
 * Whether retrying the same request can succeed, per error code. Sent as
 * `retry` in every `error` frame.
 */
export const RETRYABLE: Readonly<Record<ErrorCode, boolean>> = {
  AUTH_FAILED: false,
  TOKEN_EXPIRED: false,
  FORBIDDEN: false,
  BAD_REQUEST: false,
  RATE_LIMITED: true,
  TOO_LARGE: false,
  NO_HISTORY: false,
  INTERNAL: true,
  // A quota counted per window: the same publish can succeed once the window has passed.
  QUOTA_EXCEEDED: true,
  // A signed publication refused once is refused again: the publisher must sign anew.
  SIGNATURE_REQUIRED: false,
  SIGNATURE_INVALID: false,
  SIGNATURE_ALGORITHM: false,
  SIGNATURE_TOPIC: false,
  SIGNATURE_EXPIRED: false,
  SIGNATURE_REPLAYED: false,
  SIGNATURE_TOO_LARGE: false,
  // The application did not answer in time: it may next time.
  TIMEOUT: true,
};
