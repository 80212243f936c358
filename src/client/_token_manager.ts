// The client's token: the current one, when to ask `getToken` for another
// (none yet, expired, or a refusal the hub gave), and checking what it returns.
// A token never appears in an error message.

import { RealtimeError } from "./errors.ts";
import type { ClientClock } from "./options.ts";
import { tokenExpiresAt } from "../auth/token_expiry.ts";

/** What {@linkcode TokenManager} starts from (the client's resolved options fit). */
export interface TokenOptions {
  token: string | undefined;
  getToken: (() => string | Promise<string>) | undefined;
  clock: ClientClock;
}

export class TokenManager {
  readonly #getToken: (() => string | Promise<string>) | undefined;
  readonly #clock: ClientClock;
  #token: string | undefined;
  #stale = false;
  #refreshing = false;
  /** Refusals `getToken` threw itself (a `RealtimeError` with `retry: false`): no token will come. */
  readonly #final = new WeakSet<RealtimeError>();

  /** @param options The first token, `getToken`, and the clock that says when a token expired. */
  constructor(options: TokenOptions) {
    this.#token = options.token;
    this.#getToken = options.getToken;
    this.#clock = options.clock;
  }

  /** Makes the next {@linkcode TokenManager.forConnect} fetch a new token. */
  markStale(): void {
    if (this.#getToken !== undefined) this.#stale = true;
  }

  /**
   * The token to connect with: the current one while it is not known to be
   * expired or stale, else a fresh one from `getToken`.
   *
   * @throws {RealtimeError} `TOKEN_EXPIRED` when the token expired and there
   * is no `getToken`, or `getToken` returned an expired token; `AUTH_FAILED`
   * when `getToken` failed.
   */
  async forConnect(): Promise<string> {
    const now = this.#clock.now();
    const current = this.#token;
    const exp = current === undefined ? undefined : tokenExpiresAt(current);
    const expired = exp !== undefined && exp <= now;
    if (current !== undefined && !expired && !this.#stale) return current;
    if (this.#getToken === undefined) {
      throw new RealtimeError(
        "TOKEN_EXPIRED",
        `Cannot reconnect: the token expired at ${
          new Date(exp ?? now).toISOString()
        } and no getToken was given`,
      );
    }
    const token = await this.fetch();
    const freshExp = tokenExpiresAt(token);
    if (freshExp !== undefined && freshExp <= this.#clock.now()) {
      throw new RealtimeError(
        "TOKEN_EXPIRED",
        `Cannot connect: getToken() returned a token that expired at ${
          new Date(freshExp).toISOString()
        }`,
      );
    }
    this.#token = token;
    this.#stale = false;
    return token;
  }

  /**
   * Starts a refresh on the live connection: one at a time, and only with `getToken`.
   *
   * @returns Whether the caller may go ahead (then it must call `endRefresh`).
   */
  beginRefresh(): boolean {
    if (this.#refreshing || this.#getToken === undefined) return false;
    this.#refreshing = true;
    return true;
  }

  /** Ends a refresh; with the token when the hub accepted it. */
  endRefresh(accepted: string | undefined): void {
    this.#refreshing = false;
    if (accepted !== undefined) this.#token = accepted;
  }

  /**
   * Whether `getToken` itself refused with this error (a `RealtimeError`
   * with `retry: false`, such as a signed-out session): the client stops
   * rather than waiting for the token to expire.
   */
  isFinal(error: unknown): boolean {
    return error instanceof RealtimeError && this.#final.has(error);
  }

  /**
   * Calls `getToken` and checks that it gave a non-empty string. A
   * `RealtimeError` it throws passes through unchanged (its code and
   * `retry` say what the client does next); anything else becomes
   * `AUTH_FAILED` with `retry: true`: a `getToken` built on `fetch` throws a
   * `TypeError` while the browser is offline, and that is no refusal. Only
   * a `RealtimeError` with `retry: false` says that no token will come.
   */
  async fetch(): Promise<string> {
    let token: unknown;
    try {
      token = await this.#getToken!();
    } catch (error) {
      if (error instanceof RealtimeError) {
        if (!error.retry) this.#final.add(error);
        throw error;
      }
      throw new RealtimeError("AUTH_FAILED", "getToken() failed", { cause: error, retry: true });
    }
    if (typeof token !== "string" || token === "") {
      throw new RealtimeError(
        "AUTH_FAILED",
        `getToken() returned ${token === "" ? "an empty string" : typeof token}, not a token`,
      );
    }
    return token;
  }
}
