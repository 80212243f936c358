/**
 * The one vocabulary of protocol error codes and WebSocket close codes.
 *
 * @module
 */

/**
 * Error codes carried by `error` frames, HTTP rejection bodies and the
 * client's `RealtimeError`s.
 */
export type ErrorCode =
  | "AUTH_FAILED"
  | "TOKEN_EXPIRED"
  | "FORBIDDEN"
  | "BAD_REQUEST"
  | "RATE_LIMITED"
  | "TOO_LARGE"
  | "NO_HISTORY"
  | "INTERNAL"
  | "QUOTA_EXCEEDED"
  | "SIGNATURE_REQUIRED"
  | "SIGNATURE_INVALID"
  | "SIGNATURE_ALGORITHM"
  | "SIGNATURE_TOPIC"
  | "SIGNATURE_EXPIRED"
  | "SIGNATURE_REPLAYED"
  | "SIGNATURE_TOO_LARGE"
  | "TIMEOUT";

/** Every {@linkcode ErrorCode}, in a stable order. */
export const ERROR_CODES: readonly ErrorCode[] = [
  "AUTH_FAILED",
  "TOKEN_EXPIRED",
  "FORBIDDEN",
  "BAD_REQUEST",
  "RATE_LIMITED",
  "TOO_LARGE",
  "NO_HISTORY",
  "INTERNAL",
  "QUOTA_EXCEEDED",
  "SIGNATURE_REQUIRED",
  "SIGNATURE_INVALID",
  "SIGNATURE_ALGORITHM",
  "SIGNATURE_TOPIC",
  "SIGNATURE_EXPIRED",
  "SIGNATURE_REPLAYED",
  "SIGNATURE_TOO_LARGE",
  "TIMEOUT",
];

/**
 * The HTTP status that goes with each error code, for answers that carry
 * a code over HTTP (an upgrade refused, the admin API).
 *
 * @example The status of a refusal
 * ```ts
 * import { HTTP_STATUS } from "@realtime/hub/protocol";
 *
 * HTTP_STATUS.FORBIDDEN; // 403
 * ```
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  AUTH_FAILED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  TOO_LARGE: 413,
  NO_HISTORY: 404,
  INTERNAL: 500,
  SIGNATURE_REQUIRED: 400,
  SIGNATURE_INVALID: 400,
  SIGNATURE_ALGORITHM: 400,
  SIGNATURE_TOPIC: 400,
  SIGNATURE_EXPIRED: 400,
  SIGNATURE_REPLAYED: 400,
  SIGNATURE_TOO_LARGE: 400,
  TIMEOUT: 504,
};

/**
 * WebSocket close codes used by the hub. See `docs/protocol.md` for what a
 * client should do after each.
 *
 * @example Decide whether to reconnect
 * ```ts
 * import { CloseCode } from "@realtime/hub";
 *
 * const shouldReconnect = (code: number) =>
 *   code !== CloseCode.ProtocolViolation && code !== CloseCode.Revoked;
 * shouldReconnect(CloseCode.GoingAway); // true
 * ```
 */
export const CloseCode = {
  /** Normal closure. */
  Normal: 1000,
  /** Server shutting down: reconnect (to another instance). */
  GoingAway: 1001,
  /** A frame exceeded the size bound. */
  TooLarge: 1009,
  /** Repeated protocol violations: do not reconnect. */
  ProtocolViolation: 4000,
  /** Authentication failed or token expired without refresh: reconnect only with a new token. */
  AuthFailed: 4001,
  /** Access revoked or disconnected by an operator: do not reconnect. */
  Revoked: 4003,
  /** Rate limit or slow consumer: reconnect after a back-off. */
  Overloaded: 4008,
} as const;

/** One of the values of {@linkcode CloseCode}. */
export type CloseCode = typeof CloseCode[keyof typeof CloseCode];
