/**
 * The hub: admission of upgrades (origin, token, authentication), the
 * connection registry, permission checks and fan-out.
 *
 * @module
 */

import { compileAcl } from "../acl/compile.ts";
import { createDecisionCache, type DecisionCache } from "../acl/decision_cache.ts";
import type { AclAction } from "../acl/rules.ts";
import { validateTopic } from "../acl/topic.ts";
import { AuthError } from "../auth/errors.ts";
import { extractToken, parseSubprotocols, selectSubprotocol } from "../auth/extract.ts";
import type { Principal } from "../auth/principal.ts";
import { createTokenVerifier, type TokenVerifier } from "../auth/verify.ts";
import { CloseCode, type ErrorCode } from "../protocol/codes.ts";
import { encodeMessage } from "../protocol/encode.ts";
import { upgradeWithDeno } from "../server/deno_adapter.ts";
import { createMemoryBroker, type Publication } from "./broker.ts";
import { systemClock } from "./clock.ts";
import { Connection, type HubSocket, type Verdict } from "./connection.ts";
import type { HubContext } from "./context.ts";
import { logToStderr } from "./log.ts";
import type { HubLimits, HubOptions } from "./options.ts";
import { resolveLimits, resolveSources } from "./_resolve_options.ts";
import { createRegistry } from "./registry.ts";

/** An upgrade request the hub accepted: the adapter completes the upgrade. */
export interface Accepted {
  /** Accepted. */
  readonly ok: true;
  /** The subprotocol to answer with, if any. */
  readonly protocol: string | undefined;
  /** The identity established at the upgrade; absent while waiting for first-message auth. */
  readonly principal: Principal | undefined;
  /** In `reject: "close"` mode: close at once with this code and reason. */
  readonly closeWith?: { code: number; reason: string };
}

/** An upgrade request the hub refused: send this response instead. */
export interface Refused {
  /** Refused. */
  readonly ok: false;
  /** The HTTP response (401, 403, 426 or 503) with a JSON `{code, message}` body. */
  readonly response: Response;
}

/** The hub's answer to an upgrade request. */
export type Admission = Accepted | Refused;

/** Socket events an adapter forwards to the hub. */
export interface SocketHandler {
  /** The socket is open. */
  open(): void;
  /** A message arrived (string for text, anything else for binary). */
  message(data: unknown): void;
  /** The socket closed. */
  close(): void;
}

/** Options of {@linkcode Hub.publish}. */
export interface PublishOptions {
  /** Event name, for server-pushed events. */
  event?: string;
  /**
   * The sender's subject.
   *
   * @default {null}
   */
  from?: string | null;
}

/** A running hub, created by {@linkcode createHub}. */
export interface Hub extends AsyncDisposable {
  /** Upgrades a `Deno.serve` request to a hub connection, or answers why not. */
  upgrade(req: Request): Promise<Response>;
  /** The same as `upgrade`, as a plain handler for Hono, Oak or Fresh routes. */
  readonly handler: (req: Request) => Promise<Response>;
  /** Decides an upgrade request without performing it (for transport adapters). */
  admit(req: Request): Promise<Admission>;
  /** Attaches an upgraded socket (for transport adapters). */
  connect(socket: HubSocket, admission: Accepted): SocketHandler;
  /** Publishes from the server to every subscriber of a concrete topic. */
  publish(topic: string, payload: unknown, options?: PublishOptions): Promise<void>;
  /** The limits in force. */
  readonly limits: Readonly<HubLimits>;
  /** Open connections (authenticated or not). */
  readonly connectionCount: number;
  /** Distinct topics and patterns with local subscribers. */
  readonly topicCount: number;
  /** Total subscriptions. */
  readonly subscriptionCount: number;
  /** Closes every connection with 1001 and stops accepting new ones. */
  close(): Promise<void>;
}

/**
 * Creates a hub.
 *
 * @param options Authentication, authorization, limits and dependencies.
 * @returns The hub.
 *
 * @example Serve a hub with Deno.serve
 * ```ts ignore
 * import { createHub } from "@realtime/hub";
 *
 * const hub = createHub({
 *   auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! },
 *   acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["user:{sub}"] }] },
 * });
 * Deno.serve((req) => new URL(req.url).pathname === "/ws" ? hub.upgrade(req) : new Response("hi"));
 * ```
 *
 * @example Create and close a hub
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import assert from "node:assert/strict";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * assert.equal(hub.connectionCount, 0);
 * await hub.close();
 * ```
 */
export function createHub(options: HubOptions): Hub {
  const sources = resolveSources(options);
  const limits = resolveLimits(options.limits);
  if (options.auth !== undefined && options.verifier !== undefined) {
    throw new TypeError("Cannot create hub with both 'auth' and 'verifier': give one");
  }
  const clock = options.clock ?? systemClock;
  const verifier: TokenVerifier | undefined = options.verifier ??
    (options.auth !== undefined
      ? createTokenVerifier({ now: clock.now, ...options.auth })
      : undefined);
  if (verifier === undefined && options.authenticate === undefined) {
    throw new TypeError("Cannot create hub without 'auth', 'verifier' or 'authenticate'");
  }
  const acl = compileAcl(options.acl ?? {});
  const log = options.log ?? logToStderr;
  const broker = options.broker ?? createMemoryBroker();
  const reject = options.reject ?? "http";
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  let counter = 0;
  const prefix = crypto.randomUUID().slice(0, 8);
  const generateId = options.generateId ?? (() => `${prefix}-${(++counter).toString(36)}`);
  const authorize = options.authorize;
  const cacheMax = options.decisionCache?.max ?? 1024;
  const cacheTtlMs = options.decisionCache?.ttlMs ?? 60_000;

  const connections = new Set<Connection>();
  const caches = new WeakMap<Connection, DecisionCache<Verdict>>();
  const registry = createRegistry<Connection>({
    onFirst: (topic) => void broker.subscribe(topic),
    onLast: (topic) => void broker.unsubscribe(topic),
  });
  let closing = false;

  broker.listen((publication: Publication) => {
    const text = encodeMessage({ type: "message", ...publication });
    registry.forEach(publication.topic, (connection) => connection.send(text));
  });

  const verify = (token: string): Promise<Principal> => {
    if (verifier === undefined) {
      return Promise.reject(new AuthError("invalid"));
    }
    return verifier.verify(token);
  };

  function check(
    connection: Connection,
    principal: Principal,
    action: AclAction,
    topic: string,
  ): Verdict | Promise<Verdict> {
    let cache = caches.get(connection);
    if (cache === undefined) {
      cache = createDecisionCache<Verdict>({ max: cacheMax, ttlMs: cacheTtlMs, now: clock.now });
      caches.set(connection, cache);
    }
    const key = action + "\u0000" + topic;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const decision = acl.decide(principal, action, topic);
    if (decision.reason === "invalid") {
      return { allowed: false, code: "BAD_REQUEST", message: decision.message };
    }
    const denyRule = !decision.allowed && decision.reason === "rule";
    if (authorize === undefined || denyRule) {
      const verdict = toVerdict(decision.allowed, action, topic);
      if (!verdict.allowed) denied(connection, principal, action, topic, decision.message);
      cache.set(key, verdict);
      return verdict;
    }
    const store = cache;
    return (async (): Promise<Verdict> => {
      let answer: boolean | undefined;
      try {
        answer = await authorize(principal, action, topic);
      } catch (error) {
        log({
          level: "error",
          event: "authorize.failed",
          connection: connection.id,
          error: error instanceof Error ? error.name : typeof error,
        });
        return { allowed: false, code: "INTERNAL", message: "Permission check failed" };
      }
      const allowed = answer ?? decision.allowed;
      const verdict = toVerdict(allowed, action, topic);
      if (!allowed) {
        denied(
          connection,
          principal,
          action,
          topic,
          answer === false ? "denied by authorize hook" : decision.message,
        );
      }
      store.set(key, verdict);
      return verdict;
    })();
  }

  function denied(
    connection: Connection,
    principal: Principal,
    action: AclAction,
    topic: string,
    why: string,
  ): void {
    log({
      level: "info",
      event: "acl.denied",
      connection: connection.id,
      user: principal.sub,
      action,
      topic,
      why,
    });
  }

  const context: HubContext = {
    clock,
    limits,
    firstMessageTimeoutMs: options.firstMessageTimeoutMs ?? 5000,
    tokenExpiringLeadMs: options.tokenExpiringLeadMs ?? 60_000,
    registry,
    cache: { delete: (connection) => void caches.delete(connection) },
    check,
    publish: (publication) => broker.publish(publication),
    verify,
    onAuthenticated: () => undefined,
    onClosed: (connection) => void connections.delete(connection),
    log,
  };

  function refuse(status: number, code: ErrorCode, message: string): Refused {
    const headers = new Headers({ "content-type": "application/json" });
    if (status === 401) headers.set("www-authenticate", 'Bearer error="invalid_token"');
    if (status === 426) headers.set("upgrade", "websocket");
    return {
      ok: false,
      response: new Response(JSON.stringify({ code, message }), { status, headers }),
    };
  }

  function authFailure(protocol: string | undefined, code: ErrorCode, message: string): Admission {
    if (reject === "close") {
      return {
        ok: true,
        protocol,
        principal: undefined,
        closeWith: { code: CloseCode.AuthFailed, reason: message },
      };
    }
    return refuse(401, code, message);
  }

  async function admit(req: Request): Promise<Admission> {
    if (closing) return refuse(503, "INTERNAL", "Server is shutting down");
    if ((req.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") {
      return refuse(426, "BAD_REQUEST", "Expected a WebSocket upgrade request");
    }
    const origin = req.headers.get("origin");
    if (origin !== null && allowedOrigins.size > 0 && !allowedOrigins.has(origin)) {
      log({ level: "warn", event: "origin.refused", origin });
      return refuse(403, "FORBIDDEN", "Origin is not allowed");
    }
    const protocol = selectSubprotocol(
      parseSubprotocols(req.headers.get("sec-websocket-protocol")),
    );
    try {
      if (options.authenticate !== undefined) {
        const principal = await options.authenticate(req);
        if (principal !== undefined) return { ok: true, protocol, principal };
      }
      const extracted = verifier === undefined ? undefined : extractToken(req, sources);
      if (extracted === undefined) {
        if (sources.firstMessage && verifier !== undefined) {
          return { ok: true, protocol, principal: undefined };
        }
        log({ level: "info", event: "auth.failed", reason: "missing", source: "upgrade" });
        return authFailure(protocol, "AUTH_FAILED", "Authentication required");
      }
      if (extracted.source === "cookie" && (origin === null || !allowedOrigins.has(origin))) {
        log({ level: "warn", event: "origin.refused", origin, source: "cookie" });
        return refuse(403, "FORBIDDEN", "Origin is not allowed");
      }
      const principal = await verify(extracted.token);
      return { ok: true, protocol, principal };
    } catch (error) {
      if (error instanceof AuthError) {
        log({ level: "info", event: "auth.failed", reason: error.reason, source: "upgrade" });
        return authFailure(protocol, error.code, error.message);
      }
      log({
        level: "error",
        event: "authenticate.failed",
        error: error instanceof Error ? error.name : typeof error,
      });
      return refuse(500, "INTERNAL", "Authentication failed unexpectedly");
    }
  }

  function connect(socket: HubSocket, admission: Accepted): SocketHandler {
    const connection = new Connection(generateId(), socket, context);
    connections.add(connection);
    return {
      open() {
        if (admission.closeWith !== undefined) {
          connection.close(admission.closeWith.code, admission.closeWith.reason);
        } else if (closing) {
          connection.close(CloseCode.GoingAway, "Server shutting down");
        } else {
          connection.start(admission.principal);
        }
      },
      message: (data) => connection.receive(data),
      close: () => connection.closed(),
    };
  }

  async function publish(
    topic: string,
    payload: unknown,
    publishOptions: PublishOptions = {},
  ): Promise<void> {
    const problem = validateTopic(topic);
    if (problem !== undefined) throw new TypeError(problem);
    const publication: Publication = publishOptions.event === undefined
      ? { topic, payload, from: publishOptions.from ?? null, ts: clock.now() }
      : {
        topic,
        payload,
        from: publishOptions.from ?? null,
        ts: clock.now(),
        event: publishOptions.event,
      };
    await broker.publish(publication);
  }

  async function close(): Promise<void> {
    if (closing) return;
    closing = true;
    for (const connection of [...connections]) {
      connection.close(CloseCode.GoingAway, "Server shutting down");
    }
    await broker.close();
  }

  const upgrade = (req: Request) => upgradeWithDeno({ admit, connect }, req);

  return {
    upgrade,
    handler: upgrade,
    admit,
    connect,
    publish,
    limits,
    get connectionCount() {
      return connections.size;
    },
    get topicCount() {
      return registry.size;
    },
    get subscriptionCount() {
      return registry.subscriptions;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function toVerdict(allowed: boolean, action: AclAction, topic: string): Verdict {
  return allowed
    ? ALLOWED
    : { allowed: false, code: "FORBIDDEN", message: `Not allowed to ${action} to '${topic}'` };
}

const ALLOWED: Verdict = { allowed: true };
