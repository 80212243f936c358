/**
 * The admin HTTP API: a plain fetch handler over the {@linkcode Hub}
 * operations (broadcast, direct sends, stats, user status, disconnects,
 * revocation, live rule changes), for `Deno.serve`, Hono, Oak or Fresh.
 *
 * @module
 */

import type { Hub } from "../hub/hub.ts";
import { errorDetail, type LogEntry, logToStderr } from "../hub/log.ts";
import { checkAdminAuthOptions, createAdminAuth, errorResponse } from "./credential.ts";
import { AdminInputError } from "./_request.ts";
import { decodeParams, matchRoutes } from "./_routes.ts";
import type { AdminOptions } from "./options.ts";
import { HubError } from "../protocol/errors.ts";
import { HTTP_STATUS } from "../protocol/codes.ts";
import { createPublicationSigner, type PublicationSigner } from "../signing/sign.ts";

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** One signer per configured key, so each key is imported once and checked now. */
function signersOf(keys: AdminOptions["signingKeys"]): Map<string, PublicationSigner> {
  const signers = new Map<string, PublicationSigner>();
  if (keys === undefined) return signers;
  if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
    throw new TypeError(
      "Cannot create an admin handler as 'signingKeys' is not an object of keys by id",
    );
  }
  for (const [id, key] of Object.entries(keys)) {
    if (!KEY_ID.test(id)) {
      throw new TypeError(
        `Cannot create an admin handler as signing key id ${
          JSON.stringify(id.slice(0, 80))
        } is not 1 to 64 letters, digits, '.', '_' or '-'`,
      );
    }
    try {
      signers.set(id, createPublicationSigner(key));
    } catch (error) {
      // The signer's messages name the key type, never its material.
      const message = `Cannot create an admin handler as signing key '${id}' is unusable: ${
        (error as Error).message
      }`;
      throw error instanceof RangeError ? new RangeError(message) : new TypeError(message);
    }
  }
  return signers;
}

/**
 * The default path prefix of the admin routes.
 *
 * @example Build a route URL
 * ```ts
 * import { DEFAULT_ADMIN_PREFIX } from "@realtime/hub/admin";
 * import assert from "node:assert/strict";
 *
 * assert.equal(`${DEFAULT_ADMIN_PREFIX}/stats`, "/v1/realtime/stats");
 * ```
 */
export const DEFAULT_ADMIN_PREFIX = "/v1/realtime";

const HUB_METHODS = [
  "broadcast",
  "sendToUser",
  "stats",
  "userStatus",
  "disconnectUser",
  "disconnectUserEverywhere",
  "subscriberCount",
  "revoke",
  "revokeEverywhere",
  "nodes",
  "isRevoked",
  "updateRules",
  "listConnections",
  "listTopics",
  "explain",
] as const;

function checkOptions(hub: Hub, options: AdminOptions): void {
  const what = "an admin handler";
  if (
    typeof hub !== "object" || hub === null || HUB_METHODS.some((m) => typeof hub[m] !== "function")
  ) {
    throw new TypeError(`Cannot create ${what} as 'hub' is not a Hub`);
  }
  checkAdminAuthOptions(options, what);
  const { prefix, audit } = options;
  if (
    prefix !== undefined &&
    (typeof prefix !== "string" || !/^(?:\/[^/?#\s]+)+$/.test(prefix))
  ) {
    throw new TypeError(
      `Cannot create ${what} as 'prefix' is ${
        JSON.stringify(prefix)
      }: expected a path such as '/v1/realtime', without a trailing slash`,
    );
  }
  if (audit !== undefined && typeof audit !== "function") {
    throw new TypeError(`Cannot create ${what} as 'audit' is not a function`);
  }
  if (options.endSessions !== undefined && typeof options.endSessions !== "function") {
    throw new TypeError(`Cannot create ${what} as 'endSessions' is not a function`);
  }
}

/**
 * Creates the admin API handler. It answers only requests under `prefix`
 * and resolves to `undefined` for any other path, so it can be chained
 * before an application's own routes.
 *
 * Every request needs `Authorization: Bearer <credential>`: the API key
 * (at least 16 characters, compared in constant time) or a JWT accepted by
 * `verifier` that carries `exp`, has `audience` (default `realtime-admin`)
 * in its `aud`, is not revoked by `hub.revoke` and whose roles include
 * `adminRole`. A missing, wrong, expired, revoked or wrong-audience
 * credential gets 401 `{"code":"AUTH_FAILED"}` with `WWW-Authenticate:
 * Bearer`; a valid JWT without the role gets 403 `{"code":"FORBIDDEN"}`;
 * with neither `apiKey` nor `verifier` configured every request gets 401.
 *
 * Routes, under `prefix`:
 *
 * | route | body | calls | answers |
 * | --- | --- | --- | --- |
 * | `POST /broadcast` | `{event?, topic?, payload, users?, sign?}` | `hub.broadcast` | `{reached}` |
 * | `POST /send/:userId` | `{event, payload}` | `hub.sendToUser` | `{user, reached}` |
 * | `GET /stats` | | `hub.stats` | `HubStats` |
 * | `GET /nodes` | | `hub.nodes` | `NodeList`: `{self, scope, nodes: [{id, ...}]}` |
 * | `GET /users/:userId/status` | | `hub.userStatus` | `{user, connected, connections, since}` |
 * | `DELETE /users/:userId/connections` | | `hub.disconnectUser` (4003) | `{user, disconnected}` |
 * | `GET /topics/:topic` | | `hub.subscriberCount` | `{topic, subscribers}` |
 * | `POST /revoke` | `{user}` | `endSessions`, then `hub.revoke` | `{user, disconnected, sessionsEnded?}` |
 * | `PUT /rules` | `{rules}` | `hub.updateRules` | `{rules}` (their count) |
 * | `GET /rules` | | `hub.rules` | `{rules}`, secret keys as `{fingerprint}` |
 * | `POST /rules/check` | `{rules, claims?}` | `lintAcl` (changes nothing) | `{rules, errors, warnings, issues}` |
 * | `POST /acl/explain` | `{claims, action, topic}` | `hub.explain` | `AclDecision` with `action`, `topic` |
 * | `GET /connections?search=&offset=&limit=` | | `hub.listConnections` | `ConnectionPage` |
 * | `GET /topics?search=&offset=&limit=` | | `hub.listTopics` | `TopicPage` |
 * | `GET /stream` | | `feed.open` (with `feed` only; 503 when full; ends once the credential is refused) | `text/event-stream` |
 *
 * A signed topic's secret key (a shared secret, an `oct` JWK, anything
 * private) never travels over HTTP: `GET /rules` answers it as
 * `{"fingerprint": "sha256:..."}`, `PUT /rules` and `POST /rules/check`
 * take that reference back in place of the key it names (a key the hub
 * holds), and refuse a secret key in a request with 400 without echoing it.
 * Public keys are answered and taken as they are.
 *
 * Bad input gets a 4xx `{"code":"BAD_REQUEST","message":...}` and changes
 * nothing: a body that is not `application/json` (415), over 64 KiB (413),
 * not a JSON object, nested deeper than the hub's `maxDepth`, with a
 * missing or mistyped field, an invalid topic or pattern, a user id that is
 * not 1 to 256 characters (400), an unknown route (404) or method (405,
 * with `Allow`). Path parameters are percent-decoded.
 *
 * `POST /broadcast` with a `topic` and `"sign": "<id>"` publishes signed with
 * the key of that id in `signingKeys` (an unknown id is a 400 that does not
 * echo the value). A publication the topic's signing rule refuses (a plain
 * one to a topic that requires signatures, a signed one to a topic that
 * takes none, a key the topic does not accept) gets 400 with the code a
 * client's publish would get (`SIGNATURE_REQUIRED`, `SIGNATURE_INVALID`,
 * `SIGNATURE_ALGORITHM`, `BAD_REQUEST`), or 500 `INTERNAL` when the hub
 * cannot import the topic's key; the audit entry names the key id
 * (`signedWith`), never the key.
 *
 * Each request writes one audit entry: `admin.<action>` (`broadcast`,
 * `send`, `stats`, `nodes`, `user_status`, `disconnect`, `topic`, `revoke`,
 * `rules_update`, `rules`, `rules_check`, `acl_explain`, `connections`,
 * `topics`, `stream`) with the actor (`api_key` or the JWT subject), or
 * `admin.auth_failed`, `admin.forbidden`, `admin.rejected` (bad input) or
 * `admin.failed`. Entries never hold the credential nor payloads.
 *
 * @param hub The hub to operate on.
 * @param options The credential, prefix and audit sink.
 * @returns A handler resolving to a response, or `undefined` outside `prefix`.
 * @throws {TypeError} When an option has the wrong type or `prefix` is not a path.
 * @throws {RangeError} When `apiKey` is shorter than 16 characters.
 *
 * @example Mount the admin API next to the hub
 * ```ts ignore
 * import { createHub } from "@realtime/hub";
 * import { createAdminHandler } from "@realtime/hub/admin";
 *
 * const hub = createHub({ auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! } });
 * const admin = createAdminHandler(hub, { apiKey: Deno.env.get("REALTIME_ADMIN_KEY") });
 * Deno.serve(async (req, info) =>
 *   new URL(req.url).pathname === "/ws"
 *     ? hub.upgrade(req, info)
 *     : (await admin(req)) ?? new Response("Not found", { status: 404 })
 * );
 * ```
 *
 * @example Read the stats with the API key
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { createAdminHandler } from "@realtime/hub/admin";
 * import assert from "node:assert/strict";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * const admin = createAdminHandler(hub, {
 *   apiKey: "an-admin-key-of-some-length",
 *   audit: () => {},
 * });
 * const res = await admin(
 *   new Request("http://localhost/v1/realtime/stats", {
 *     headers: { authorization: "Bearer an-admin-key-of-some-length" },
 *   }),
 * );
 * assert.equal(res?.status, 200);
 * assert.equal((await res?.json()).connections, 0);
 * assert.equal(await admin(new Request("http://localhost/elsewhere")), undefined);
 * await hub.close();
 * ```
 */
export function createAdminHandler(
  hub: Hub,
  options: AdminOptions = {},
): (req: Request) => Promise<Response | undefined> {
  checkOptions(hub, options);
  const prefix = options.prefix ?? DEFAULT_ADMIN_PREFIX;
  const sink = options.audit ?? logToStderr;
  const authenticate = createAdminAuth(options, hub.isRevoked);
  const audit = (entry: LogEntry) => sink({ ...entry, audit: true });
  const signers = signersOf(options.signingKeys);

  return async function adminHandler(req: Request): Promise<Response | undefined> {
    const path = new URL(req.url).pathname;
    if (path !== prefix && !path.startsWith(prefix + "/")) return undefined;
    // Only the path is recorded: a query string could carry anything.
    const where = { method: req.method, path };
    const auth = await authenticate(req);
    if ("response" in auth) {
      audit({
        level: "warn",
        event: auth.status === 403 ? "admin.forbidden" : "admin.auth_failed",
        reason: auth.reason,
        ...(auth.actor === undefined ? {} : { actor: auth.actor }),
        ...where,
      });
      return auth.response;
    }
    const who = { actor: auth.actor, via: auth.via };
    const segments = path === prefix ? [] : path.slice(prefix.length + 1).split("/");
    const matches = matchRoutes(segments);
    const match = matches.find((m) => m.route.method === req.method);
    const action = (match ?? matches[0])?.route.action;
    try {
      if (match === undefined) {
        if (matches.length === 0) throw new AdminInputError(404, "No such admin route");
        const allow = matches.map((m) => m.route.method).join(", ");
        throw new AdminInputError(405, `Method ${req.method} is not allowed here: use ${allow}`, {
          allow,
        });
      }
      const result = await match.route.run({
        hub,
        req,
        params: decodeParams(match.raw),
        feed: options.feed,
        signers,
        endSessions: options.endSessions,
        stillAllowed: async () => !("response" in await authenticate(req)),
        audit: (event, fields) => audit({ level: "info", event, ...who, ...fields }),
      });
      audit({ level: "info", event: `admin.${match.route.action}`, ...who, ...result.audit });
      if (result.response !== undefined) return result.response;
      return Response.json(result.body, { headers: { "cache-control": "no-store" } });
    } catch (error) {
      if (error instanceof AdminInputError) {
        audit({
          level: "info",
          event: "admin.rejected",
          ...who,
          action,
          status: error.status,
          ...where,
        });
        return error.toResponse();
      }
      if (error instanceof HubError) {
        // A refusal the caller may read (a signing rule refused a broadcast): its code, as a client would get.
        audit({
          level: "info",
          event: "admin.rejected",
          ...who,
          action,
          code: error.code,
          ...where,
        });
        return errorResponse(HTTP_STATUS[error.code] ?? 500, error.code, error.message);
      }
      // Anything else is the server's fault: its detail goes to the log, never to the caller.
      audit({
        level: "error",
        event: "admin.failed",
        ...who,
        action,
        ...errorDetail(error),
        ...where,
      });
      return errorResponse(500, "INTERNAL", "Admin action failed");
    }
  };
}
