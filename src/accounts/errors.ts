/**
 * The error vocabulary of the accounts module: one class with a stable
 * string `code` that HTTP answers, the CLI and callers switch on.
 *
 * @module
 */

/** The stable codes of {@linkcode AccountsError}, each with its HTTP status. */
export const ACCOUNTS_ERROR_STATUS = {
  INVALID_REQUEST: 400,
  INVALID_USERNAME: 400,
  WEAK_PASSWORD: 400,
  PASSWORD_TOO_LONG: 400,
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  REFRESH_TOKEN_REUSED: 401,
  UNAUTHORIZED: 401,
  ACCOUNT_DISABLED: 403,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  SIGNUP_DISABLED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  USERNAME_TAKEN: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  BUSY: 503,
} as const;

/** A stable error code of the accounts module. */
export type AccountsErrorCode = keyof typeof ACCOUNTS_ERROR_STATUS;

/** Options of {@linkcode AccountsError}. */
export interface AccountsErrorOptions {
  /** For `RATE_LIMITED`: seconds until a retry can succeed. @default {undefined} */
  retryAfterSeconds?: number;
  /** A secret-free cause. @default {undefined} */
  cause?: unknown;
}

/**
 * A request to the accounts module was refused. The message says what was
 * wrong and never contains a password or a token.
 *
 * @example Switch on the code
 * ```ts
 * import { AccountsError } from "@realtime/hub/accounts";
 * import assert from "node:assert/strict";
 *
 * const error = new AccountsError("USERNAME_TAKEN", "Username 'alice' is taken");
 * assert.equal(error.code, "USERNAME_TAKEN");
 * assert.equal(error.status, 409);
 * ```
 */
export class AccountsError extends Error {
  /** The stable code. */
  readonly code: AccountsErrorCode;
  /** The HTTP status that goes with the code. */
  readonly status: number;
  /** For `RATE_LIMITED`: seconds until a retry can succeed. */
  readonly retryAfterSeconds?: number;

  /**
   * Creates an error.
   *
   * @param code The stable code.
   * @param message What was wrong, without secrets.
   * @param options Retry delay and cause.
   */
  constructor(code: AccountsErrorCode, message: string, options: AccountsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AccountsError";
    this.code = code;
    this.status = ACCOUNTS_ERROR_STATUS[code];
    if (options.retryAfterSeconds !== undefined) {
      this.retryAfterSeconds = options.retryAfterSeconds;
    }
  }
}
