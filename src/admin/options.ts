/**
 * Options of the admin API and of a protected `/metrics`, and their validation.
 *
 * @module
 */

import type { TokenVerifier } from "../auth/verify.ts";
import type { LogEntry } from "../hub/log.ts";
import type { ConsoleFeed } from "./console/feed.ts";
import type { PublicationSigningKey } from "../signing/sign.ts";

/**
 * The `aud` an admin JWT must carry by default, so that a hub token (for
 * `/ws`) is never an admin credential.
 *
 * @example Mint an admin token
 * ```ts
 * import { mintToken } from "@realtime/hub/auth";
 * import { DEFAULT_ADMIN_AUDIENCE } from "@realtime/hub/admin";
 *
 * const token = await mintToken(
 *   { sub: "ops", roles: ["admin"] },
 *   { secret: "an-admin-jwt-secret-of-32-bytes!!" },
 *   { ttl: "15m", aud: DEFAULT_ADMIN_AUDIENCE },
 * );
 * ```
 */
export const DEFAULT_ADMIN_AUDIENCE = "realtime-admin";

/**
 * The admin credential: an API key, admin JWTs, or both. With neither,
 * every request is refused with 401.
 *
 * @example Accept the API key or an admin JWT from your identity provider
 * ```ts
 * import { createTokenVerifier } from "@realtime/hub/auth";
 * import { type AdminAuthOptions } from "@realtime/hub/admin";
 *
 * const adminAuth: AdminAuthOptions = {
 *   apiKey: Deno.env.get("REALTIME_ADMIN_KEY") ?? "a-long-random-admin-key",
 *   verifier: createTokenVerifier({ secret: "an-admin-jwt-secret-of-32-bytes!!" }),
 *   adminRole: "realtime-admin",
 * };
 * ```
 */
export interface AdminAuthOptions {
  /**
   * The API key (such as `REALTIME_ADMIN_KEY`), sent as
   * `Authorization: Bearer <key>` and compared in constant time. At least 16
   * characters.
   *
   * @default {undefined}
   */
  apiKey?: string;
  /**
   * Verifies admin JWTs sent as `Authorization: Bearer <jwt>`. An accepted
   * token must also carry `exp`, have `audience` in its `aud`, not be
   * revoked by the hub (`POST /revoke`) and have `adminRole` in its roles.
   *
   * @default {undefined}
   */
  verifier?: TokenVerifier;
  /**
   * The audience an admin JWT must carry in `aud`. Keep it distinct from
   * the hub's own audience.
   *
   * @default {"realtime-admin"}
   */
  audience?: string;
  /**
   * The role an admin JWT must carry.
   *
   * @default {"admin"}
   */
  adminRole?: string;
}

/**
 * Options of {@linkcode createAdminHandler}.
 *
 * @example Mount under a custom prefix and send audit entries to your logger
 * ```ts
 * import type { LogEntry } from "@realtime/hub";
 * import type { AdminOptions } from "@realtime/hub/admin";
 *
 * const trail: LogEntry[] = [];
 * const options: AdminOptions = {
 *   prefix: "/internal/realtime",
 *   apiKey: "a-long-random-admin-key",
 *   audit: (entry) => trail.push(entry),
 * };
 * ```
 */
export interface AdminOptions extends AdminAuthOptions {
  /**
   * Path prefix of every route, without a trailing slash.
   *
   * @default {"/v1/realtime"}
   */
  prefix?: string;
  /**
   * Audit sink: one entry per admin action and per refused credential. Entries
   * never carry the credential nor request payloads.
   *
   * @default {logToStderr}
   */
  audit?: (entry: LogEntry) => void;
  /**
   * The operator console's live feed ({@linkcode createConsoleFeed}), served
   * at `GET <prefix>/stream` behind the same credential; without it that
   * route answers 404.
   *
   * @default {undefined}
   */
  feed?: ConsoleFeed;
  /**
   * The server's publication signing keys, by id (1 to 64 letters, digits,
   * `.`, `_` or `-`): `POST /broadcast` with a `topic` and `"sign": "<id>"`
   * publishes signed with that key. A request names a key, never carries
   * one, so a signing key is never sent over HTTP nor written to a log.
   * Each key is checked when the handler is created.
   *
   * @default {{}}
   */
  signingKeys?: Readonly<Record<string, PublicationSigningKey>>;
  /**
   * Ends a user's sign-in sessions when `POST /revoke` revokes the user
   * (the console's Revoke too), so they cannot refresh back in: pass the
   * accounts' `endSessions` (`startServer` does). It is called before the
   * hub's revocation, so no access token minted from a refresh outlives it;
   * its count is answered as `sessionsEnded`.
   *
   * @default {undefined}
   */
  endSessions?: (user: string) => Promise<number>;
}
