/**
 * The accounts `deno task start` mounts: the SQLite store under the state
 * directory and a handler minting with the hub's shared secret.
 *
 * @module
 */

import type { JwtOptions } from "../auth/verify.ts";
import { createTokenVerifier } from "../auth/verify.ts";
import {
  type AccountsHandler,
  type AccountsHandlerOptions,
  createAccountsHandler,
} from "./handler.ts";
import { createSqliteStore } from "./sqlite_store.ts";
import {
  type AccountsAdminHub,
  type AccountsAdminOptions,
  createAccountsAdminHandler,
} from "./admin_handler.ts";
import type { AccountStore } from "./store.ts";
import { normalizeUsername } from "./username.ts";
import type { LogEntry } from "../hub/log.ts";
import type { TrustProxyOptions } from "../hub/options.ts";

/** Options of {@linkcode openDefaultAccounts}. */
export interface DefaultAccountsOptions {
  /** The state directory; the store is `<dir>/accounts.db`. @default {".realtime"} */
  dir?: string;
  /** An open store to use instead (closed by `close()`); `dir` is then unused. @default {undefined} */
  store?: AccountStore;
  /** Whether anyone may sign up (the development server) or only operators add users. @default {false} */
  signup?: boolean;
  /** Log sink of the `accounts.*` events. @default {logToStderr} */
  log?: (entry: LogEntry) => void;
  /** The origins whose pages may use sessions (see `AccountsHandlerOptions.allowedOrigins`). @default {[]} */
  allowedOrigins?: AccountsHandlerOptions["allowedOrigins"];
  /** Which address a login is accounted to behind a proxy: pass the hub's `trustProxy`. @default {false} */
  trustProxy?: boolean | TrustProxyOptions;
  /** The operator credential of the user admin routes (`/v1/realtime/accounts`). @default {none: every admin request gets 401} */
  admin?: Pick<AccountsAdminOptions, "apiKey" | "verifier" | "audience" | "adminRole" | "prefix">;
}

/** Accounts opened by {@linkcode openDefaultAccounts}. */
export interface DefaultAccounts extends AsyncDisposable {
  /** The `/auth/*` handler. */
  readonly handler: AccountsHandler;
  /** The user admin handler (`/v1/realtime/accounts/*`). */
  readonly adminHandler: (req: Request) => Promise<Response | undefined>;
  /** The store. */
  readonly store: AccountStore;
  /**
   * Ends every sign-in session of a user (their refresh tokens stop
   * working) and resolves to how many; 0 for a name that is no user. Pass
   * it to the admin API's `endSessions`, so an operator's revoke also stops
   * the user refreshing back in.
   */
  endSessions(username: string): Promise<number>;
  /** Closes the store. */
  close(): Promise<void>;
}

/**
 * The grants of a development user: everything the demo page does in the
 * `chat:*` rooms (publish, history, who is online), and their own
 * `user:<name>` topic. New users of an open sign-up and the demo page's
 * minted tokens get the same.
 *
 * @param name The user's name.
 * @returns The ACL claim.
 *
 * @example
 * ```ts
 * import { developmentAcl } from "@realtime/hub/accounts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(developmentAcl("alice")["chat:*"], ["subscribe", "publish", "history", "presence"]);
 * ```
 */
export function developmentAcl(name: string): Record<string, string[]> {
  return {
    "chat:*": ["subscribe", "publish", "history", "presence"],
    [`user:${name}`]: ["subscribe"],
  };
}

/**
 * Opens the default accounts for a hub configured with a shared secret, or
 * returns `undefined` when the hub only verifies (public key or JWKS) and so
 * cannot mint. New users of an open sign-up get the development grants
 * ({@linkcode developmentAcl}).
 *
 * @param auth The hub's token options (its `secret`, `issuer`, `audience`).
 * @param hub The hub whose connections revocations close, and whose revocations admin JWTs obey.
 * @param options State directory and sign-up policy.
 * @returns The accounts, or `undefined` without a secret.
 *
 * @example Open beside a hub's secret
 * ```ts
 * import { openDefaultAccounts } from "@realtime/hub/accounts";
 *
 * const dir = await Deno.makeTempDir();
 * const hub = { revoke: () => 0, isRevoked: () => false };
 * await using accounts = openDefaultAccounts({ secret: "a development secret of at least 32 bytes" }, hub, { dir });
 * ```
 */
export function openDefaultAccounts(
  auth: Omit<JwtOptions, "now" | "fetch">,
  hub: AccountsAdminHub,
  options: DefaultAccountsOptions = {},
): DefaultAccounts | undefined {
  const { secret, issuer, audience } = auth;
  if (secret === undefined) return undefined;
  const { dir = ".realtime", signup = false } = options;
  const store = options.store ?? createSqliteStore(`${dir.replace(/\/+$/, "")}/accounts.db`);
  const handler = createAccountsHandler({
    store,
    signingKey: { secret },
    verifier: createTokenVerifier({ ...auth, secret }),
    hub,
    issuer: typeof issuer === "string" ? issuer : issuer?.[0],
    audience,
    signup,
    log: options.log,
    trustProxy: options.trustProxy,
    allowedOrigins: options.allowedOrigins,
    newUser: (name) => ({ roles: [], acl: developmentAcl(name) }),
  });
  const adminHandler = createAccountsAdminHandler(store, {
    ...options.admin,
    hub,
    audit: options.log,
  });
  // Expired refresh tokens and dead sessions are deleted at start and hourly.
  const prune = () => void store.prune(Date.now()).catch(() => {});
  prune();
  const timer = setInterval(prune, 3_600_000);
  Deno.unrefTimer(timer);
  const close = async () => {
    clearInterval(timer);
    await store.close();
  };
  async function endSessions(username: string): Promise<number> {
    // Only a name the accounts could have issued tokens for: the hub's
    // subjects are case-sensitive, so 'Alice' is not the accounts' 'alice'.
    let name: string | undefined;
    try {
      name = normalizeUsername(username);
    } catch {
      name = undefined;
    }
    if (name !== username) return 0;
    const user = await store.findUser({ username: name });
    return user === undefined ? 0 : await store.revokeUserSessions(user.id, Date.now());
  }
  return { handler, adminHandler, store, endSessions, close, [Symbol.asyncDispose]: close };
}
