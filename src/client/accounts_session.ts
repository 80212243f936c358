/**
 * {@linkcode AccountsSession}: sign-up, login, refresh and logout against
 * the hub's `/auth` routes (`@realtime/hub/accounts`), with a `getToken`
 * that a {@linkcode RealtimeClient} calls so a signed-in connection
 * outlives every access token. The access token lives in memory only; the
 * refresh token in an `HttpOnly` cookie (browsers) or a
 * {@linkcode RefreshTokenStorage} (Deno and other non-browser clients).
 *
 * @module
 */

import {
  ACCOUNTS_ERROR_STATUS,
  AccountsError,
  type AccountsErrorCode,
} from "../accounts/errors.ts";
import { Emitter } from "./_emitter.ts";
import { RealtimeError } from "./errors.ts";
import type { RefreshTokenStorage } from "./refresh_token_storage.ts";

/** The signed-in user, as the accounts routes describe it. */
export interface AccountsUser {
  /** The user's id. */
  readonly id: string;
  /** The username, the `sub` of the user's access tokens. */
  readonly username: string;
  /** Roles. */
  readonly roles: readonly string[];
  /** Per-topic capabilities. */
  readonly acl: Readonly<Record<string, readonly string[]>>;
  /** When the account was created, ISO 8601. */
  readonly createdAt: string;
}

/** Options of the {@linkcode AccountsSession} constructor. */
export interface AccountsSessionOptions {
  /** Where the accounts routes are mounted: `"/auth"` in a page, a full URL elsewhere. */
  baseUrl: string | URL;
  /**
   * Where the refresh token lives: `"cookie"` (browsers: an `HttpOnly`
   * cookie the server sets, which scripts never see) or a storage
   * (non-browser clients: the server returns the token in the body).
   *
   * @default {"cookie"}
   */
  refreshToken?: "cookie" | RefreshTokenStorage;
  /**
   * How long one request to the accounts routes may take.
   *
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * The `fetch` to use.
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
}

/** Why the session ended, passed to `signedout` listeners. */
export interface SignedOutInfo {
  /** `logout` after {@linkcode AccountsSession.logout}; `refused` when the server refused a refresh. */
  readonly reason: "logout" | "refused";
  /** For `refused`: the server's answer. */
  readonly error?: AccountsError;
}

/** The events of {@linkcode AccountsSession.on}. */
export interface AccountsSessionEvents {
  /** A sign-up, login or refresh succeeded. */
  signedin: (user: AccountsUser) => void;
  /** The session ended: logged out here, or the server refused the refresh token. */
  signedout: (info: SignedOutInfo) => void;
}

/** Answers of 400, 401, 403 and 404 to a refresh: no retry will get a token. */
const FINAL_STATUSES = new Set([400, 401, 403, 404]);

/**
 * A user's session with the accounts routes. Pass its `getToken` to a
 * {@linkcode RealtimeClient}: each call rotates the refresh token and
 * returns a fresh access token, so the client's refresh on
 * `token_expiring` keeps the connection with no user action. When the
 * server refuses the refresh (logged out, here or in another tab; the
 * session revoked), `getToken` throws a `RealtimeError` `AUTH_FAILED` with
 * `retry: false` and the client closes with it instead of reconnecting; a
 * network failure or a busy server throws one with `retry: true` and the
 * client tries again with back-off. Concurrent calls share one request.
 *
 * @example A page: log in, then connect with the session
 * ```ts ignore
 * import { AccountsSession, RealtimeClient } from "@realtime/hub/client";
 *
 * const session = new AccountsSession({ baseUrl: "/auth" }); // refresh token in an HttpOnly cookie
 * await session.login("alice", "correct horse battery");
 * const rt = new RealtimeClient({ url: "wss://example.com/ws", getToken: session.getToken });
 * rt.on("state", (state, { error }) => {
 *   if (state === "closed" && error?.code === "AUTH_FAILED") console.log("signed out:", error.message);
 * });
 * session.on("signedout", () => rt.close());
 * ```
 *
 * @example A Deno service with its refresh token in memory
 * ```ts
 * import { AccountsSession, memoryRefreshTokenStorage } from "@realtime/hub/client";
 * import { createAccountsHandler, createSqliteStore } from "@realtime/hub/accounts";
 * import { createTokenVerifier } from "@realtime/hub/auth";
 * import assert from "node:assert/strict";
 *
 * const secret = "a development secret of at least 32 bytes";
 * await using store = createSqliteStore(":memory:");
 * const accounts = createAccountsHandler({
 *   store,
 *   signingKey: { secret },
 *   verifier: createTokenVerifier({ secret }),
 *   log: () => {},
 * });
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen: () => {} },
 *   async (req) => (await accounts(req)) ?? new Response(null, { status: 404 }),
 * );
 *
 * const session = new AccountsSession({
 *   baseUrl: `http://127.0.0.1:${server.addr.port}/auth`,
 *   refreshToken: memoryRefreshTokenStorage(),
 * });
 * const user = await session.signup("alice", "correct horse battery");
 * assert.equal(user.username, "alice");
 * const token = await session.getToken(); // rotated: a new access token
 * assert.equal(token.split(".").length, 3);
 * await session.logout();
 * await assert.rejects(session.getToken(), { code: "AUTH_FAILED", retry: false });
 * ```
 */
export class AccountsSession {
  readonly #base: string;
  readonly #storage: RefreshTokenStorage | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #events = new Emitter<AccountsSessionEvents>(["signedin", "signedout"]);
  #user: AccountsUser | undefined;
  #accessToken: string | undefined;
  #refreshing: Promise<string> | undefined;
  #generation = 0;

  /**
   * Creates a session; it is signed out until a sign-up, login or refresh.
   *
   * @param options Where the routes are, where the refresh token lives.
   * @throws {TypeError} When an option is missing or of the wrong type.
   * @throws {RangeError} When `timeoutMs` is not positive.
   */
  constructor(options: AccountsSessionOptions) {
    const what = "Cannot create an AccountsSession";
    const base = options?.baseUrl;
    if (!(base instanceof URL) && (typeof base !== "string" || base === "")) {
      throw new TypeError(
        `${what} as 'baseUrl' is ${JSON.stringify(base)}: expected "/auth" or a URL`,
      );
    }
    const storage = options.refreshToken ?? "cookie";
    if (
      storage !== "cookie" &&
      (typeof storage !== "object" || storage === null ||
        !["get", "set", "delete"].every((m) => typeof (storage as never)[m] === "function"))
    ) {
      throw new TypeError(
        `${what} as 'refreshToken' is neither "cookie" nor a storage with get, set and delete`,
      );
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new RangeError(`${what} as 'timeoutMs' is ${timeoutMs}: a positive number is required`);
    }
    this.#base = String(base).replace(/\/+$/, "");
    this.#storage = storage === "cookie" ? undefined : storage;
    this.#timeoutMs = timeoutMs;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The signed-in user, or `undefined` when signed out. */
  get user(): AccountsUser | undefined {
    return this.#user;
  }

  /** The last access token (kept in memory only), or `undefined` when signed out. */
  get accessToken(): string | undefined {
    return this.#accessToken;
  }

  /**
   * Creates an account and signs in.
   *
   * @param username The username.
   * @param password The password.
   * @returns The new user.
   * @throws {AccountsError} With the server's code (`USERNAME_TAKEN`, `WEAK_PASSWORD`...).
   */
  signup(username: string, password: string): Promise<AccountsUser> {
    return this.#signIn("/signup", "sign up", username, password);
  }

  /**
   * Signs in with a username and password.
   *
   * @param username The username.
   * @param password The password.
   * @returns The user.
   * @throws {AccountsError} With the server's code (`INVALID_CREDENTIALS`, `RATE_LIMITED`...).
   */
  login(username: string, password: string): Promise<AccountsUser> {
    return this.#signIn("/login", "log in", username, password);
  }

  /**
   * Gets a fresh access token by rotating the refresh token; pass it as a
   * `RealtimeClient`'s `getToken`. A page that reloads calls it once to
   * learn whether its cookie still holds a session.
   *
   * @returns The access token.
   * @throws {RealtimeError} `AUTH_FAILED` with `retry: false` when the
   * server refused (signed out); with `retry: true` when it could not answer.
   */
  readonly getToken = (): Promise<string> => {
    this.#refreshing ??= this.#refresh().finally(() => this.#refreshing = undefined);
    return this.#refreshing;
  };

  /**
   * Ends the session on the server and here. Connections using the
   * session's tokens are not closed by the server: close them on
   * `signedout`, or they close at their next refresh.
   *
   * @returns Resolves once the server ended the session.
   * @throws {AccountsError} When the server could not be told (the local state is cleared anyway).
   */
  async logout(): Promise<void> {
    const stored = await this.#storage?.get();
    this.#signedOut({ reason: "logout" });
    await this.#storage?.delete();
    if (this.#storage !== undefined && stored === undefined) return;
    const res = await this.#post(
      "/logout",
      stored === undefined ? undefined : { refreshToken: stored },
    );
    await res.body?.cancel();
    if (!res.ok && !FINAL_STATUSES.has(res.status)) throw await accountsError(res);
  }

  /**
   * Listens to `signedin` or `signedout`.
   *
   * @param event The event name.
   * @param listener The listener.
   * @returns A function that removes the listener.
   */
  on<K extends keyof AccountsSessionEvents>(
    event: K,
    listener: AccountsSessionEvents[K],
  ): () => void {
    return this.#events.on(event, listener);
  }

  async #signIn(
    route: string,
    doing: string,
    username: string,
    password: string,
  ): Promise<AccountsUser> {
    if (typeof username !== "string" || typeof password !== "string") {
      throw new TypeError(
        `Cannot ${doing}: username and password must be strings, got ${typeof username} and ${typeof password}`,
      );
    }
    const res = await this.#post(route, { username, password });
    if (!res.ok) throw await accountsError(res);
    return await this.#accept(res, this.#generation);
  }

  async #refresh(): Promise<string> {
    const generation = this.#generation;
    let body: { refreshToken: string } | undefined;
    if (this.#storage !== undefined) {
      const stored = await this.#storage.get();
      if (stored === undefined) {
        throw new RealtimeError("AUTH_FAILED", "Not signed in: no refresh token is stored", {
          retry: false,
        });
      }
      body = { refreshToken: stored };
    }
    let res: Response;
    try {
      res = await this.#post("/refresh", body);
    } catch (error) {
      throw new RealtimeError("AUTH_FAILED", "Cannot refresh the session now: the request failed", {
        retry: true,
        cause: error,
      });
    }
    if (!res.ok) {
      const error = await accountsError(res);
      const final = FINAL_STATUSES.has(res.status);
      if (final && generation === this.#generation) {
        await this.#storage?.delete();
        this.#signedOut({ reason: "refused", error });
      }
      throw new RealtimeError(
        "AUTH_FAILED",
        final
          ? `Signed out: the refresh was refused (${res.status} ${error.code})`
          : `Cannot refresh the session now (${res.status} ${error.code})`,
        { retry: !final, cause: error },
      );
    }
    await this.#accept(res, generation);
    return this.#accessToken!;
  }

  /** Takes a tokens answer, unless a logout happened meanwhile. */
  async #accept(res: Response, generation: number): Promise<AccountsUser> {
    const body = await res.json() as {
      accessToken?: unknown;
      refreshToken?: unknown;
      user?: AccountsUser;
    };
    if (typeof body.accessToken !== "string" || typeof body.user?.username !== "string") {
      throw new RealtimeError("AUTH_FAILED", "The accounts server answered without a token", {
        retry: false,
      });
    }
    if (generation !== this.#generation) {
      throw new RealtimeError("AUTH_FAILED", "Signed out while the request was under way");
    }
    if (this.#storage !== undefined) {
      if (typeof body.refreshToken !== "string") {
        throw new RealtimeError(
          "AUTH_FAILED",
          "The accounts server set no refresh token in the body: is an Origin header sent?",
        );
      }
      await this.#storage.set(body.refreshToken);
    }
    this.#accessToken = body.accessToken;
    this.#user = body.user;
    this.#events.emit("signedin", body.user);
    return body.user;
  }

  #signedOut(info: SignedOutInfo): void {
    this.#generation++;
    const was = this.#user !== undefined || this.#accessToken !== undefined;
    this.#user = undefined;
    this.#accessToken = undefined;
    if (was || info.reason === "logout") this.#events.emit("signedout", info);
  }

  #post(route: string, body: unknown): Promise<Response> {
    return this.#fetch(`${this.#base}${route}`, {
      method: "POST",
      // The cookie travels with same-origin (and, with CORS, cross-origin) requests.
      credentials: this.#storage === undefined ? "include" : "omit",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
  }
}

/** The code for an answer without a known one (a proxy's, or a route that is not mounted). */
function statusCode(status: number): AccountsErrorCode {
  if (status >= 500) return "BUSY";
  const byStatus: Record<number, AccountsErrorCode> = {
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
  };
  return byStatus[status] ?? "INVALID_REQUEST";
}

/** The server's `{code, message}` as an {@linkcode AccountsError}. */
async function accountsError(res: Response): Promise<AccountsError> {
  let code: AccountsErrorCode = statusCode(res.status);
  let message = `The accounts server answered HTTP ${res.status}`;
  try {
    const body = await res.json() as { code?: unknown; message?: unknown };
    if (typeof body.code === "string" && body.code in ACCOUNTS_ERROR_STATUS) {
      code = body.code as AccountsErrorCode;
    }
    if (typeof body.message === "string") message = body.message.slice(0, 500);
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const retry = Number(res.headers.get("retry-after"));
  return new AccountsError(
    code,
    message,
    Number.isFinite(retry) && retry > 0 ? { retryAfterSeconds: retry } : {},
  );
}
