/**
 * The accounts HTTP handler: sign-up, login, refresh, logout, the current
 * user and password change, issuing access tokens signed with the hub's own
 * key. It mounts beside `hub.handler`.
 *
 * @module
 */

import { mintToken, type SigningKeyInput } from "../auth/mint.ts";
import { ISSUED_AT_MS_CLAIM } from "../auth/revocations.ts";
import { createClientAddress } from "../hub/client_address.ts";
import type { TrustProxyOptions } from "../hub/options.ts";
import type { ConnInfo } from "../hub/transport.ts";
import { type LogEntry, logToStderr } from "../hub/log.ts";
import type { HubMetrics } from "../hub/metrics.ts";
import type { TokenVerifier } from "../auth/verify.ts";
import { AccountsError } from "./errors.ts";
import {
  basicCredentials,
  bearerToken,
  clearCookie,
  type CookieShape,
  errorResponse,
  hasBody,
  json,
  readCookie,
  readJsonObject,
  setCookie,
  stringField,
} from "./_http.ts";
import { createLoginLimiter, type LoginLimiter } from "./login_limiter.ts";
import {
  type Argon2Params,
  checkPasswordLength,
  checkPasswordPolicy,
  needsRehash,
  OWASP_ARGON2ID,
} from "./password.ts";
import { checkArgon2Params, hashWith, verifyWith } from "./_password_hash.ts";
import {
  hashRefreshToken,
  isRefreshTokenShape,
  newRefreshToken,
  sealToken,
  unsealToken,
} from "./_refresh_token.ts";
import type { AccountStore, UserRecord } from "./store.ts";
import { normalizeNewUsername, normalizeUsername } from "./username.ts";
import { createHashSlots } from "./_hash_slots.ts";

/** What a new user gets. */
export interface NewUserGrants {
  /** Roles. */
  roles: string[];
  /** Per-topic capabilities. */
  acl: Record<string, string[]>;
}

/**
 * The part of a hub the handler uses: ending a user's live connections, and
 * (when present) its `unknownClientIp` counter.
 */
export interface RevokingHub {
  /**
   * Disconnects a user (4003) and rejects their tokens issued before now;
   * with `session`, only the connections and tokens of that session (`sid`).
   */
  revoke(target: { user: string; session?: string }): number;
  /**
   * The hub's metrics: accounts requests whose client address is unknown
   * (no connection info) are counted in `unknownClientIp`, as upgrades are.
   */
  readonly metrics?: Pick<HubMetrics, "unknownClientIp">;
}

/** Options of {@linkcode createAccountsHandler}. */
export interface AccountsHandlerOptions {
  /** Where users and refresh tokens live. */
  store: AccountStore;
  /** The hub's signing key: access tokens are minted with it. */
  signingKey: SigningKeyInput;
  /** The hub's verifier: checks access tokens on `/me` and `/password`. */
  verifier: TokenVerifier;
  /** The hub whose connections a refresh-token reuse or password change closes. @default {undefined} */
  hub?: RevokingHub;
  /** Path prefix of the routes and the cookie's `Path`. @default {"/auth"} */
  prefix?: string;
  /** The `iss` of minted tokens (the hub's `issuer`, if it has one). @default {undefined} */
  issuer?: string;
  /** The `aud` of minted tokens (the hub's `audience`, if it has one). @default {undefined} */
  audience?: string | string[];
  /** Access-token lifetime in seconds. @default {900} */
  accessTtlSeconds?: number;
  /** Refresh-token lifetime in seconds; every rotation restarts it. @default {2592000} (30 days) */
  refreshTtlSeconds?: number;
  /**
   * How long the token just replaced still yields the current one, so two
   * tabs refreshing at once do not log the user out. An older token never does.
   *
   * @default {10}
   */
  refreshGraceSeconds?: number;
  /**
   * The origins (exact `scheme://host[:port]`) whose pages may sign up, log
   * in, refresh or log out: a request with any other `Origin` gets 403
   * `ORIGIN_NOT_ALLOWED`, as does a cookie refresh or logout without one.
   * A list, or a function deciding each origin. Never taken from the
   * request's `Host`, which a DNS rebinding page chooses: with none listed,
   * only clients that send no `Origin` (not browsers) are served.
   *
   * @default {[]}
   */
  allowedOrigins?: readonly string[] | ((origin: string) => boolean);
  /** Whether `POST /signup` is open. @default {true} */
  signup?: boolean;
  /** Roles and capabilities of a new user. @default {no roles, no capabilities} */
  newUser?: (username: string) => NewUserGrants;
  /** argon2id parameters; stored hashes with lower ones are replaced at login. @default {OWASP_ARGON2ID} */
  argon2?: Argon2Params;
  /**
   * Password hash slots. Each slot keeps one argon2id instance, made on its
   * first hash, whose memory stays at the largest `argon2.memoryKiB` it
   * hashed with (19 MiB by default): logins hold at most this many times
   * that, however many arrive. Hashes run on the calling thread one at a
   * time, so more slots do not make logins faster.
   *
   * @default {2}
   */
  maxConcurrentHashes?: number;
  /** Requests waiting for a hash slot before new ones get 503 `BUSY`. @default {200} */
  maxQueuedHashes?: number;
  /** Login and sign-up attempt limits. @default {createLoginLimiter({ now })} */
  limiter?: LoginLimiter;
  /**
   * Behind a reverse proxy: which address a login is accounted to, by the
   * hub's rules (pass the hub's `trustProxy`). Only a peer among the proxy
   * addresses may name another address, and only through the entry its
   * chain appended to `X-Forwarded-For`; entries a client wrote are ignored.
   *
   * @default {false}
   */
  trustProxy?: boolean | TrustProxyOptions;
  /** The refresh cookie's name. @default {"realtime_refresh"} */
  cookieName?: string;
  /** Whether the cookie is `Secure`. Keep it on; browsers accept it on `http://localhost`. @default {true} */
  secureCookie?: boolean;
  /** The clock, epoch ms. @default {Date.now} */
  now?: () => number;
  /**
   * Log sink for `accounts.*` events (sign-up, login, failed login, rate
   * limit, refresh-token reuse, password change, logout, and once a request
   * without the client address). Entries carry the username and address,
   * never a password or token.
   *
   * @default {logToStderr}
   */
  log?: (entry: LogEntry) => void;
}

/** Connection facts a server passes along (`Deno.ServeHandlerInfo` fits). */
export type AccountsRequestInfo = ConnInfo;

/** The handler: a `Response` for paths under the prefix, else `undefined`. */
export type AccountsHandler = (
  req: Request,
  info?: AccountsRequestInfo,
) => Promise<Response | undefined>;

const INVALID_CREDENTIALS = "Username or password is incorrect";

function checkOptions(options: AccountsHandlerOptions): void {
  const what = "Cannot create an accounts handler";
  if (typeof options?.store?.rotate !== "function") {
    throw new TypeError(`${what} as 'store' is not an AccountStore`);
  }
  if (typeof options.verifier?.verify !== "function") {
    throw new TypeError(`${what} as 'verifier' is not a TokenVerifier`);
  }
  if (typeof options.signingKey !== "object" || options.signingKey === null) {
    throw new TypeError(`${what} as 'signingKey' is not a key`);
  }
  const { prefix } = options;
  if (prefix !== undefined && !/^(?:\/[A-Za-z0-9._~-]+)+$/.test(prefix)) {
    throw new TypeError(
      `${what} as 'prefix' is ${JSON.stringify(prefix)}: expected a path such as '/auth'`,
    );
  }
  if (options.argon2 !== undefined) checkArgon2Params(options.argon2);
  const { allowedOrigins } = options;
  if (
    allowedOrigins !== undefined && typeof allowedOrigins !== "function" &&
    (!Array.isArray(allowedOrigins) || allowedOrigins.some((o) => typeof o !== "string"))
  ) {
    throw new TypeError(
      `${what} as 'allowedOrigins' is not a list of origins nor a function of an origin`,
    );
  }
  for (const name of ["maxConcurrentHashes", "maxQueuedHashes"] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new RangeError(
        `${what} as '${name}' is ${value}: expected a whole number of at least 1`,
      );
    }
  }
  for (const name of ["accessTtlSeconds", "refreshTtlSeconds", "refreshGraceSeconds"] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new RangeError(`${what} as '${name}' is ${value}: expected a whole number of seconds`);
    }
  }
}

/**
 * Creates the accounts handler. Routes under `prefix`:
 *
 * | route | body | answers |
 * | --- | --- | --- |
 * | `POST /signup` | `{username, password}` | 201 tokens |
 * | `POST /login` | `{username, password}` or `Authorization: Basic` | 200 tokens |
 * | `POST /refresh` | `{refreshToken}` or the cookie | 200 tokens |
 * | `POST /logout` | `{refreshToken}` or the cookie | 204 |
 * | `GET /me` | `Authorization: Bearer <access token>` | the user |
 * | `POST /password` | `{currentPassword, newPassword}` with Bearer | 200 new access token |
 *
 * Tokens are `{accessToken, tokenType, expiresIn, user}` plus the refresh
 * token: a request with an `Origin` header (a browser) gets it only in an
 * `HttpOnly; Secure; SameSite=Strict` cookie scoped to `prefix`, any other
 * client only as `refreshToken` in the body. Refresh tokens rotate on every
 * use; the token just replaced yields the current one for
 * `refreshGraceSeconds`, and any other used token revokes its whole family
 * and closes the user's hub connections. Errors are `{code, message}` with
 * the status of {@linkcode ACCOUNTS_ERROR_STATUS}; a wrong password and an
 * unknown user get the same answer after the same amount of hashing.
 *
 * @param options Store, the hub's key and verifier, the hub, and policy.
 * @returns The handler.
 *
 * @example Mount beside a hub
 * ```ts
 * import { createAccountsHandler, createSqliteStore } from "@realtime/hub/accounts";
 * import { createTokenVerifier } from "@realtime/hub/auth";
 *
 * const secret = "a development secret of at least 32 bytes";
 * await using store = createSqliteStore(":memory:");
 * const accounts = createAccountsHandler({
 *   store,
 *   signingKey: { secret },
 *   verifier: createTokenVerifier({ secret }),
 * });
 * const res = await accounts(new Request("http://localhost/elsewhere"));
 * res; // undefined: not an accounts route
 * ```
 */
export function createAccountsHandler(options: AccountsHandlerOptions): AccountsHandler {
  checkOptions(options);
  const {
    store,
    signingKey,
    verifier,
    hub,
    prefix = "/auth",
    issuer,
    audience,
    accessTtlSeconds = 900,
    refreshTtlSeconds = 30 * 86_400,
    refreshGraceSeconds = 10,
    allowedOrigins = [],
    signup = true,
    newUser = () => ({ roles: [], acl: {} }),
    argon2 = OWASP_ARGON2ID,
    now = Date.now,
    cookieName = "realtime_refresh",
    secureCookie = true,
    maxConcurrentHashes = 2,
    maxQueuedHashes = 200,
    log = logToStderr,
  } = options;
  const slots = createHashSlots(maxConcurrentHashes, maxQueuedHashes);
  const hash = (password: string) => slots.run((a) => hashWith(a, password, argon2));
  const verify = (password: string, phc: string) => slots.run((a) => verifyWith(a, password, phc));
  const limiter = options.limiter ?? createLoginLimiter({ now });
  const clientAddress = createClientAddress(options.trustProxy);
  let warnedUnknownAddress = false;
  function addressOf(req: Request, info: AccountsRequestInfo | undefined): string | undefined {
    const address = clientAddress(req, info);
    if (address === undefined) {
      // Per-address limits cannot apply: say so once, and count every such request.
      if (hub?.metrics !== undefined) hub.metrics.unknownClientIp++;
      if (!warnedUnknownAddress) {
        warnedUnknownAddress = true;
        log({
          level: "warn",
          event: "accounts.client_address_unknown",
          message:
            "Per-address login and sign-up limits are off for requests without the peer address: pass the connection info, as in Deno.serve((req, info) => accounts(req, info))",
        });
      }
    }
    return address;
  }
  const cookie: CookieShape = { name: cookieName, path: prefix, secure: secureCookie };
  // Verified against when the user is unknown, so that both answers cost one hash.
  let dummy: Promise<string> | undefined;
  const dummyHash = () => dummy ??= hash(crypto.randomUUID());

  async function mintAccess(user: UserRecord, sid: string, issuedAt?: number) {
    // The hub compares revocation cut-offs to the millisecond with iat_ms.
    const t = issuedAt ?? now();
    return await mintToken(
      {
        sub: user.username,
        roles: [...user.roles],
        acl: cloneAcl(user.acl),
        sid,
        [ISSUED_AT_MS_CLAIM]: t,
      },
      signingKey,
      { ttl: accessTtlSeconds, iss: issuer, aud: audience, now: () => t },
    );
  }

  async function tokens(
    req: Request,
    status: number,
    user: UserRecord,
    sid: string,
    refresh: string,
    issuedAt?: number,
  ): Promise<Response> {
    const body: Record<string, unknown> = {
      accessToken: await mintAccess(user, sid, issuedAt),
      tokenType: "Bearer",
      expiresIn: accessTtlSeconds,
      user: publicUser(user),
    };
    const browser = req.headers.has("origin");
    if (!browser) body.refreshToken = refresh;
    return json(
      status,
      body,
      browser ? { "set-cookie": setCookie(cookie, refresh, refreshTtlSeconds) } : {},
    );
  }

  async function startSession(req: Request, status: number, user: UserRecord) {
    const refresh = newRefreshToken();
    const familyId = crypto.randomUUID();
    const t = now();
    await store.createSession({
      familyId,
      userId: user.id,
      tokenHash: await hashRefreshToken(refresh),
      expiresAt: t + refreshTtlSeconds * 1000,
      now: t,
    });
    return await tokens(req, status, user, familyId, refresh);
  }

  function limit(username: string | undefined, address: string | undefined): void {
    const wait = limiter.take(username, address);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      log({ level: "warn", event: "accounts.rate_limited", user: username, address });
      throw new AccountsError(
        "RATE_LIMITED",
        `Too many attempts: retry in ${seconds} seconds`,
        { retryAfterSeconds: seconds },
      );
    }
  }

  async function signupRoute(req: Request, address: string | undefined) {
    if (!signup) throw new AccountsError("SIGNUP_DISABLED", "Sign-up is disabled on this server");
    if (req.headers.has("origin")) checkOrigin(req);
    const body = await readJsonObject(req);
    const username = normalizeNewUsername(body.username);
    const password = stringField(body, "password");
    checkPasswordPolicy(password, username);
    limit(undefined, address);
    if (await store.findUser({ username }) !== undefined) {
      throw new AccountsError("USERNAME_TAKEN", `Username '${username}' is taken`);
    }
    const grants = newUser(username);
    const user = await store.createUser({
      id: crypto.randomUUID(),
      username,
      passwordHash: await hash(password),
      roles: [...grants.roles],
      acl: cloneAcl(grants.acl),
      now: now(),
    });
    log({ level: "info", event: "accounts.signup", user: username, address });
    return await startSession(req, 201, user);
  }

  async function loginRoute(req: Request, address: string | undefined) {
    // A browser's login sets the session cookie: refuse foreign pages (login CSRF).
    if (req.headers.has("origin")) checkOrigin(req);
    let credentials = basicCredentials(req);
    if (credentials === undefined) {
      const body = await readJsonObject(req);
      credentials = {
        username: stringField(body, "username"),
        password: stringField(body, "password"),
      };
    }
    const { password } = credentials;
    checkPasswordLength(password);
    let username: string;
    try {
      username = normalizeUsername(credentials.username);
    } catch {
      username = "";
    }
    limit(username, address);
    const user = username === "" ? undefined : await store.findUser({ username });
    const ok = await verify(password, user?.passwordHash ?? await dummyHash());
    if (user === undefined || !ok) {
      log({ level: "info", event: "accounts.login_failed", user: username, address });
      throw new AccountsError("INVALID_CREDENTIALS", INVALID_CREDENTIALS);
    }
    if (user.disabled) throw new AccountsError("ACCOUNT_DISABLED", "This account is disabled");
    let current = user;
    if (needsRehash(user.passwordHash, argon2)) {
      current = await store.updateUser(
        user.id,
        { passwordHash: await hash(password) },
        now(),
      ) ?? user;
    }
    log({ level: "info", event: "accounts.login", user: username, address });
    return await startSession(req, 200, current);
  }

  function checkOrigin(req: Request): void {
    const origin = req.headers.get("origin");
    // Never the request's own origin: that comes from Host, which a DNS
    // rebinding page sets to its own name.
    const allowed = origin !== null &&
      (typeof allowedOrigins === "function"
        ? allowedOrigins(origin) === true
        : allowedOrigins.includes(origin));
    if (!allowed) {
      throw new AccountsError(
        "ORIGIN_NOT_ALLOWED",
        `Origin ${
          origin === null ? "is missing" : `'${origin.slice(0, 200)}' is not allowed`
        }: sessions are set and used only from an origin in 'allowedOrigins'`,
      );
    }
  }

  /** The presented refresh token, from the body or (origin-checked) the cookie. */
  async function presentedToken(req: Request): Promise<{ token: string; fromCookie: boolean }> {
    if (hasBody(req)) {
      const body = await readJsonObject(req);
      if (body.refreshToken !== undefined) {
        const token = body.refreshToken;
        if (!isRefreshTokenShape(token)) throw invalidRefresh();
        return { token, fromCookie: false };
      }
    }
    const fromCookie = readCookie(req, cookieName);
    if (fromCookie === undefined) {
      throw new AccountsError(
        "INVALID_REQUEST",
        `No refresh token: send {"refreshToken": ...} or the '${cookieName}' cookie`,
      );
    }
    checkOrigin(req);
    if (!isRefreshTokenShape(fromCookie)) throw invalidRefresh();
    return { token: fromCookie, fromCookie: true };
  }

  async function refreshRoute(req: Request) {
    const { token } = await presentedToken(req);
    const next = newRefreshToken();
    const t = now();
    const verdict = await store.rotate({
      presentedHash: await hashRefreshToken(token),
      nextHash: await hashRefreshToken(next),
      nextSealed: await sealToken(next, token),
      expiresAt: t + refreshTtlSeconds * 1000,
      now: t,
      graceMs: refreshGraceSeconds * 1000,
    });
    if (verdict.outcome === "invalid") throw invalidRefresh();
    const user = await store.findUser({ id: verdict.userId });
    if (verdict.outcome === "reused") {
      if (user !== undefined) hub?.revoke({ user: user.username });
      log({
        level: "warn",
        event: "accounts.refresh_reused",
        user: user?.username,
        session: verdict.familyId,
      });
      throw new AccountsError(
        "REFRESH_TOKEN_REUSED",
        "Refresh token was already used: the session is revoked, log in again",
      );
    }
    if (user === undefined || user.disabled) {
      await store.revokeUserSessions(verdict.userId, t);
      throw new AccountsError("ACCOUNT_DISABLED", "This account is disabled");
    }
    const current = verdict.outcome === "grace" ? await unsealToken(verdict.sealed, token) : next;
    if (current === undefined) throw invalidRefresh();
    // Issued as of the rotation, not of now: an operator's revoke that ends
    // this session after the rotation then also refuses the token minted here.
    return await tokens(req, 200, user, verdict.familyId, current, t);
  }

  async function logoutRoute(req: Request) {
    const { token } = await presentedToken(req);
    const ended = await store.revokeByToken(await hashRefreshToken(token), now());
    if (ended !== undefined) {
      // The session's access tokens carry its id (`sid`): end its live hub
      // connections and refuse its tokens, leaving the user's other sessions.
      const user = hub === undefined ? undefined : await store.findUser({ id: ended.userId });
      if (user !== undefined) hub?.revoke({ user: user.username, session: ended.familyId });
      log({ level: "info", event: "accounts.logout", session: ended.familyId });
    }
    return json(204, null, { "set-cookie": clearCookie(cookie) });
  }

  async function authenticated(req: Request): Promise<{ user: UserRecord; sid: string }> {
    const token = bearerToken(req);
    const unauthorized = () =>
      new AccountsError(
        "UNAUTHORIZED",
        "A valid access token is required: Authorization: Bearer <token>",
      );
    if (token === undefined) throw unauthorized();
    let principal;
    try {
      principal = await verifier.verify(token);
    } catch {
      throw unauthorized();
    }
    const sid = principal.claims.sid;
    const user = await store.findUser({ username: principal.sub });
    if (
      typeof sid !== "string" || user === undefined || user.disabled ||
      !(await store.isSessionLive(sid, user.id))
    ) throw unauthorized();
    return { user, sid };
  }

  async function passwordRoute(req: Request, address: string | undefined) {
    const { user, sid } = await authenticated(req);
    const body = await readJsonObject(req);
    const currentPassword = stringField(body, "currentPassword");
    const newPassword = stringField(body, "newPassword");
    checkPasswordLength(currentPassword);
    checkPasswordPolicy(newPassword, user.username);
    // The caller's own address: a stranger's failed logins elsewhere do not block it.
    limit(user.username, address);
    if (!(await verify(currentPassword, user.passwordHash))) {
      throw new AccountsError("INVALID_CREDENTIALS", INVALID_CREDENTIALS);
    }
    const t = now();
    const updated = await store.updateUser(
      user.id,
      { passwordHash: await hash(newPassword) },
      t,
    ) ?? user;
    const revoked = await store.revokeUserSessions(user.id, t, sid);
    // Live connections cannot be told apart by session: all close, and this
    // caller reconnects with the token below, minted after the revocation.
    hub?.revoke({ user: user.username });
    log({
      level: "info",
      event: "accounts.password_changed",
      user: user.username,
      sessionsEnded: revoked,
    });
    return json(200, {
      // 1 ms past the revocation just made, so the hub accepts it.
      accessToken: await mintAccess(updated, sid, now() + (hub === undefined ? 0 : 1)),
      tokenType: "Bearer",
      expiresIn: accessTtlSeconds,
      sessionsEnded: revoked,
    });
  }

  const routes: Record<string, [string, (req: Request, address?: string) => Promise<Response>]> = {
    "/signup": ["POST", signupRoute],
    "/login": ["POST", loginRoute],
    "/refresh": ["POST", refreshRoute],
    "/logout": ["POST", logoutRoute],
    "/password": ["POST", passwordRoute],
    "/me": ["GET", async (req) => json(200, publicUser((await authenticated(req)).user))],
  };

  return async function accountsHandler(req, info) {
    const path = new URL(req.url).pathname;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
    const route = routes[path.slice(prefix.length)];
    try {
      if (route === undefined) {
        throw new AccountsError("NOT_FOUND", `No accounts route ${path.slice(0, 200)}`);
      }
      if (req.method !== route[0]) {
        throw new AccountsError(
          "METHOD_NOT_ALLOWED",
          `Method ${req.method} is not allowed on ${path}: use ${route[0]}`,
        );
      }
      return await route[1](req, addressOf(req, info));
    } catch (error) {
      await req.body?.cancel().catch(() => {});
      if (error instanceof AccountsError) {
        const headers: HeadersInit = error.code === "REFRESH_TOKEN_REUSED" ||
            error.code === "INVALID_REFRESH_TOKEN"
          ? { "set-cookie": clearCookie(cookie) }
          : {};
        const res = errorResponse(error, headers);
        if (error.code === "METHOD_NOT_ALLOWED") res.headers.set("allow", route![0]);
        return res;
      }
      throw error;
    }
  };
}

function invalidRefresh(): AccountsError {
  return new AccountsError(
    "INVALID_REFRESH_TOKEN",
    "Refresh token is invalid, expired or revoked: log in again",
  );
}

function cloneAcl(acl: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(acl).map(([k, v]) => [k, [...v]]));
}

function publicUser(user: UserRecord) {
  return {
    id: user.id,
    username: user.username,
    roles: [...user.roles],
    acl: cloneAcl(user.acl),
    createdAt: new Date(user.createdAt).toISOString(),
  };
}
