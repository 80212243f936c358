/**
 * The operators' user API: list, add, change, disable and reset users over
 * HTTP, behind the admin credential the admin API checks (the API key, or an
 * admin JWT with exp, the admin audience and role, not revoked).
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import { type LogEntry, logToStderr } from "../hub/log.ts";
import { checkAdminAuthOptions, createAdminAuth } from "../admin/credential.ts";
import type { AdminAuthOptions } from "../admin/options.ts";
import { AccountsError } from "./errors.ts";
import { errorResponse, json, readJsonObject, stringField } from "./_http.ts";
import type { RevokingHub } from "./handler.ts";
import {
  type Argon2Params,
  checkPasswordPolicy,
  hashPassword,
  OWASP_ARGON2ID,
} from "./password.ts";
import type { AccountStore, UserPatch, UserRecord } from "./store.ts";
import { normalizeNewUsername, normalizeUsername } from "./username.ts";

/**
 * The part of a hub the user admin routes use: closing a user's connections,
 * and its revocations, which refuse a revoked admin JWT here as on the admin API.
 */
export interface AccountsAdminHub extends RevokingHub {
  /** Whether a verified token was revoked by `hub.revoke`. */
  isRevoked(principal: Principal): boolean;
}

/**
 * Options of {@linkcode createAccountsAdminHandler}. The credential options
 * (`apiKey`, `verifier`, `audience`, `adminRole`) are the admin API's, and
 * are checked by the same code: an admin JWT must carry `exp`, have
 * `audience` in its `aud`, not be revoked by the hub, and hold `adminRole`.
 */
export interface AccountsAdminOptions extends AdminAuthOptions {
  /**
   * The hub whose connections disabling or a password reset closes, and
   * whose revocations apply to admin JWTs. Required with `verifier`.
   *
   * @default {undefined}
   */
  hub?: AccountsAdminHub;
  /** Path prefix. @default {"/v1/realtime/accounts"} */
  prefix?: string;
  /** argon2id parameters for new passwords. @default {OWASP_ARGON2ID} */
  argon2?: Argon2Params;
  /** The clock, epoch ms. @default {Date.now} */
  now?: () => number;
  /** Audit sink: one `accounts.admin.*` entry per change or refused credential, without passwords. @default {logToStderr} */
  audit?: (entry: LogEntry) => void;
}

function view(user: UserRecord) {
  return {
    id: user.id,
    username: user.username,
    roles: [...user.roles],
    acl: user.acl,
    disabled: user.disabled,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}

function roles(value: unknown): string[] {
  if (
    !Array.isArray(value) || value.length > 64 ||
    value.some((r) => typeof r !== "string" || !/^[A-Za-z0-9._:-]{1,64}$/.test(r))
  ) {
    throw new AccountsError(
      "INVALID_REQUEST",
      "Field 'roles' must be an array of at most 64 roles of 1 to 64 of A-Z a-z 0-9 . _ : -",
    );
  }
  return [...new Set(value as string[])];
}

function acl(value: unknown): Record<string, string[]> {
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    Object.keys(value).length > 256 ||
    Object.values(value).some((v) =>
      !Array.isArray(v) || v.length > 16 || v.some((a) => typeof a !== "string" || a.length > 64)
    )
  ) {
    throw new AccountsError(
      "INVALID_REQUEST",
      "Field 'acl' must be an object of at most 256 topics, each with an array of capability names",
    );
  }
  return value as Record<string, string[]>;
}

/**
 * Creates the user administration handler. Routes under `prefix`:
 *
 * | route | body | answers |
 * | --- | --- | --- |
 * | `GET /users?after=&limit=` | | `{users}` in username order |
 * | `POST /users` | `{username, password, roles?, acl?}` | 201 the user |
 * | `GET /users/:username` | | the user |
 * | `PATCH /users/:username` | `{roles?, acl?, disabled?}` | the user |
 * | `POST /users/:username/password` | `{password}` | the user |
 *
 * Every request needs the admin credential, checked exactly as the admin
 * API checks it (`createAdminHandler`): a refused one gets the same 401
 * `AUTH_FAILED` (missing, wrong, expired, without `exp` or the admin
 * audience, or revoked by `hub.revoke`) or 403 `FORBIDDEN` (without the
 * role), and an `accounts.admin.auth_failed` or `accounts.admin.forbidden`
 * audit entry with the reason.
 *
 * Disabling a user or resetting a password revokes all the user's refresh
 * families and closes their hub connections. Answers never contain a
 * password hash.
 *
 * @param store The account store.
 * @param options Credential, hub, prefix.
 * @returns A handler resolving to `undefined` outside `prefix`.
 * @throws {TypeError} When an option has the wrong type, or `verifier` is set without `hub`.
 * @throws {RangeError} When `apiKey` is shorter than 16 characters.
 *
 * @example List users with the API key
 * ```ts
 * import { createAccountsAdminHandler, createSqliteStore } from "@realtime/hub/accounts";
 *
 * await using store = createSqliteStore(":memory:");
 * const admin = createAccountsAdminHandler(store, { apiKey: "an-admin-key-of-some-length" });
 * const res = await admin(new Request("http://localhost/v1/realtime/accounts/users", {
 *   headers: { authorization: "Bearer an-admin-key-of-some-length" },
 * }));
 * (await res?.json()).users; // []
 * ```
 */
export function createAccountsAdminHandler(
  store: AccountStore,
  options: AccountsAdminOptions = {},
): (req: Request) => Promise<Response | undefined> {
  if (typeof store?.listUsers !== "function") {
    throw new TypeError(
      "Cannot create an accounts admin handler as 'store' is not an AccountStore",
    );
  }
  const what = "an accounts admin handler";
  checkAdminAuthOptions(options, what);
  const {
    hub,
    prefix = "/v1/realtime/accounts",
    argon2 = OWASP_ARGON2ID,
    now = Date.now,
    audit = logToStderr,
  } = options;
  if (options.verifier !== undefined && typeof hub?.isRevoked !== "function") {
    throw new TypeError(
      `Cannot create ${what} as 'verifier' is set without a 'hub' with 'isRevoked': a revoked admin JWT would be accepted`,
    );
  }
  const authenticate = createAdminAuth(options, hub && ((principal) => hub.isRevoked(principal)));

  async function existing(raw: string): Promise<UserRecord> {
    let name: string;
    try {
      name = normalizeUsername(decodeURIComponent(raw));
    } catch {
      throw new AccountsError("NOT_FOUND", "No such user");
    }
    const user = await store.findUser({ username: name });
    if (user === undefined) throw new AccountsError("NOT_FOUND", `No user '${name}'`);
    return user;
  }

  async function endSessions(user: UserRecord, t: number): Promise<void> {
    await store.revokeUserSessions(user.id, t);
    hub?.revoke({ user: user.username });
  }

  async function route(
    req: Request,
    segments: string[],
    url: URL,
    actor: string,
  ): Promise<Response> {
    const record = (action: string, user: string, extra: Record<string, unknown> = {}) =>
      audit({ level: "info", event: `accounts.admin.${action}`, actor, user, ...extra });
    const [first, name, sub, ...rest] = segments;
    if (first !== "users" || rest.length > 0) throw new AccountsError("NOT_FOUND", "No such route");
    const method = req.method;
    const allow = (m: string) => {
      if (method !== m) {
        throw new AccountsError(
          "METHOD_NOT_ALLOWED",
          `Method ${method} is not allowed here: use ${m}`,
        );
      }
    };
    if (name === undefined) {
      if (method === "GET") {
        const limit = Number(url.searchParams.get("limit") ?? "100");
        if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
          throw new AccountsError(
            "INVALID_REQUEST",
            `Query 'limit' must be 1 to 1000, got '${url.searchParams.get("limit")?.slice(0, 20)}'`,
          );
        }
        const users = await store.listUsers({ after: url.searchParams.get("after") ?? "", limit });
        return json(200, { users: users.map(view) });
      }
      allow("POST");
      const body = await readJsonObject(req);
      const username = normalizeNewUsername(body.username);
      const password = stringField(body, "password");
      checkPasswordPolicy(password, username);
      const grants = {
        roles: body.roles === undefined ? [] : roles(body.roles),
        acl: body.acl === undefined ? {} : acl(body.acl),
      };
      const user = await store.createUser({
        id: crypto.randomUUID(),
        username,
        passwordHash: await hashPassword(password, argon2),
        ...grants,
        now: now(),
      });
      record("user_added", user.username, { roles: user.roles });
      return json(201, view(user));
    }
    if (sub === "password") {
      allow("POST");
      const user = await existing(name);
      const password = stringField(await readJsonObject(req), "password");
      checkPasswordPolicy(password, user.username);
      const t = now();
      const updated = await store.updateUser(user.id, {
        passwordHash: await hashPassword(password, argon2),
      }, t);
      await endSessions(user, t);
      record("password_reset", user.username);
      return json(200, view(updated ?? user));
    }
    if (sub !== undefined) throw new AccountsError("NOT_FOUND", "No such route");
    if (method === "GET") return json(200, view(await existing(name)));
    allow("PATCH");
    const user = await existing(name);
    const body = await readJsonObject(req);
    const patch: UserPatch = {};
    if (body.roles !== undefined) patch.roles = roles(body.roles);
    if (body.acl !== undefined) patch.acl = acl(body.acl);
    if (body.disabled !== undefined) {
      if (typeof body.disabled !== "boolean") {
        throw new AccountsError("INVALID_REQUEST", "Field 'disabled' must be a boolean");
      }
      patch.disabled = body.disabled;
    }
    const t = now();
    const updated = await store.updateUser(user.id, patch, t);
    if (patch.disabled === true) await endSessions(user, t);
    record("user_updated", user.username, { fields: Object.keys(patch) });
    return json(200, view(updated ?? user));
  }

  return async function accountsAdminHandler(req) {
    const url = new URL(req.url);
    const path = url.pathname;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
    try {
      const auth = await authenticate(req);
      if ("response" in auth) {
        audit({
          level: "warn",
          event: auth.status === 403 ? "accounts.admin.forbidden" : "accounts.admin.auth_failed",
          reason: auth.reason,
          ...(auth.actor === undefined ? {} : { actor: auth.actor }),
          path,
        });
        await req.body?.cancel().catch(() => {});
        return auth.response;
      }
      return await route(
        req,
        path.slice(prefix.length + 1).split("/").filter((s) => s !== ""),
        url,
        auth.actor,
      );
    } catch (error) {
      await req.body?.cancel().catch(() => {});
      if (error instanceof AccountsError) return errorResponse(error);
      throw error;
    }
  };
}
