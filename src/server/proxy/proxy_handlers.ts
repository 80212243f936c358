/**
 * The proxies as the hub's own extension points: the connect proxy is an
 * `authenticate` hook (a session cookie gives the connection its principal,
 * with no JWT), and the refresh, subscribe, publish and RPC proxies are
 * application handlers that call the backend. Wire format: `docs/proxy.md`.
 *
 * @module
 */

import { AuthError } from "../../auth/errors.ts";
import type { Principal } from "../../auth/principal.ts";
import type { AppHandlers, HandlerConnection, RpcHandler } from "../../hub/handlers.ts";
import type { AuthenticateHook } from "../../hub/options.ts";
import { HubError } from "../../protocol/errors.ts";
import type { ProxyClient } from "./proxy_client.ts";
import type { ProxyConfig } from "./proxy_config.ts";

/** What the proxies add to a hub's options. */
export interface ProxyHubParts {
  /** The connect proxy, when configured. */
  authenticate?: AuthenticateHook;
  /** The refresh, subscribe and publish proxies, when configured. */
  handlers?: AppHandlers;
  /** RPC registrations: `hub.rpc(method, handler)` for each. */
  rpc: [string, RpcHandler][];
}

/**
 * Builds the hub's hooks, handlers and RPC methods from a checked `proxy`
 * section.
 *
 * @param config The `proxy` section (see `checkProxyConfig`).
 * @param client The HTTP client the calls go through.
 * @returns What to give `createHub` and `hub.rpc`.
 *
 * @example Build the parts
 * ```ts ignore
 * const parts = proxyHubParts(config.proxy, createProxyClient({ secret, maxConcurrent: 64 }));
 * const hub = createHub({ auth, authenticate: parts.authenticate, handlers: parts.handlers });
 * for (const [method, handler] of parts.rpc) hub.rpc(method, handler);
 * ```
 */
export function proxyHubParts(config: ProxyConfig, client: ProxyClient): ProxyHubParts {
  const parts: ProxyHubParts = { rpc: [] };
  const { connect, refresh, subscribe, publish } = config;
  // The claims of the principals the connect proxy made: a refreshed
  // principal is a copy that keeps them, a token's has its own.
  const admittedByProxy = new WeakSet<object>();
  // The topics a connect answer subscribed its principal to, by its claims.
  const serverSubscriptions = new WeakMap<object, string[]>();
  if (connect !== undefined) {
    parts.authenticate = async function connectProxy(req: Request): Promise<Principal | undefined> {
      let result: Record<string, unknown> | undefined;
      try {
        result = await client.call({
          kind: "connect",
          endpoint: connect,
          headers: req.headers,
          body: { transport: "websocket", path: new URL(req.url).pathname },
        });
      } catch (error) {
        // A refusal closes the upgrade with AUTH_FAILED; a backend that is
        // down, slow or confused is not a refusal: the upgrade gets INTERNAL.
        if (error instanceof HubError && !error.retry) {
          throw new AuthError("invalid", { cause: error });
        }
        throw error;
      }
      if (result === undefined) return undefined;
      const principal = principalOf(result);
      admittedByProxy.add(principal.claims);
      const topics = subscriptionsOf(result);
      if (topics !== undefined) serverSubscriptions.set(principal.claims, topics);
      return principal;
    };
  }
  const handlers: AppHandlers = {};
  if (connect !== undefined) {
    // The backend's server-side subscriptions, made once the connection is welcomed.
    handlers.connect = ({ principal }) => {
      const subscriptions = serverSubscriptions.get(principal.claims);
      return subscriptions === undefined ? undefined : { subscriptions };
    };
  }
  if (refresh !== undefined) {
    handlers.refresh = async ({ principal, connection, signal }) => {
      // A token's session is refreshed by its client, with a new token.
      if (!admittedByProxy.has(principal.claims)) return undefined;
      const result = await client.call({
        kind: "refresh",
        endpoint: refresh,
        signal,
        user: principal.sub,
        body: { ...who(principal, connection), expiresAt: principal.expiresAt },
      });
      const expiresAt = result?.expiresAt;
      if (expiresAt === undefined) {
        throw new HubError("TOKEN_EXPIRED", "The session was not extended: connect again");
      }
      if (expiresAt !== null && typeof expiresAt !== "number") {
        throw new HubError("INTERNAL", "The refresh backend's 'expiresAt' is not a number");
      }
      return { expiresAt };
    };
  }
  if (subscribe !== undefined) {
    handlers.subscribe = async ({ principal, connection, signal, topic }) => {
      const result = await client.call({
        kind: "subscribe",
        endpoint: subscribe,
        signal,
        user: principal.sub,
        body: { ...who(principal, connection), topic },
      });
      return result !== undefined && "data" in result ? { data: result.data } : undefined;
    };
  }
  if (publish !== undefined) {
    handlers.publish = async ({ principal, connection, signal, topic, payload, signed }) => {
      const result = await client.call({
        kind: "publish",
        endpoint: publish,
        signal,
        user: principal.sub,
        body: { ...who(principal, connection), topic, payload, signed },
      });
      return result !== undefined && "payload" in result ? { payload: result.payload } : undefined;
    };
  }
  if (Object.keys(handlers).length > 0) parts.handlers = handlers;
  for (const endpoint of config.rpc ?? []) {
    const handler: RpcHandler = async ({ principal, connection, signal, method, data }) => {
      const result = await client.call({
        kind: "rpc",
        endpoint,
        signal,
        user: principal.sub,
        body: { ...who(principal, connection), method, data },
      });
      return result?.data ?? null;
    };
    for (const method of endpoint.methods) parts.rpc.push([method, handler]);
  }
  return parts;
}

/** The fields every call after connect carries. */
function who(principal: Principal, connection: HandlerConnection): Record<string, unknown> {
  return {
    user: principal.sub,
    anonymous: principal.anonymous === true,
    claims: principal.claims,
    connection: { id: connection.id, transport: connection.transport },
  };
}

/** A connect proxy's `subscriptions` (concrete topics), when it gave any; a malformed one is the backend's fault. */
function subscriptionsOf(result: Record<string, unknown>): string[] | undefined {
  const { subscriptions } = result;
  if (subscriptions === undefined) return undefined;
  if (!Array.isArray(subscriptions) || !subscriptions.every((t) => typeof t === "string")) {
    throw new HubError(
      "INTERNAL",
      "The connect backend's 'subscriptions' is not an array of strings",
    );
  }
  return subscriptions.length === 0 ? undefined : [...subscriptions];
}

/** The principal of a connect proxy's `result`; a malformed one is the backend's fault. */
function principalOf(result: Record<string, unknown>): Principal {
  const { user, roles = [], claims = {}, acl, expiresAt = null } = result;
  if (typeof user !== "string" || user === "" || user.length > 256 || user === "anonymous") {
    throw new HubError("INTERNAL", "The connect backend's 'user' is not a usable user id");
  }
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === "string")) {
    throw new HubError("INTERNAL", "The connect backend's 'roles' is not an array of strings");
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new HubError("INTERNAL", "The connect backend's 'claims' is not an object");
  }
  if (expiresAt !== null && typeof expiresAt !== "number") {
    throw new HubError("INTERNAL", "The connect backend's 'expiresAt' is not a number");
  }
  const all: Record<string, unknown> = { ...claims, sub: user, roles };
  if (acl !== undefined) all.acl = acl;
  return { sub: user, roles, claims: all, expiresAt };
}
