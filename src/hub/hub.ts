/**
 * The hub: the connection registry, permission checks, fan-out, live
 * permission changes and the operations behind the admin API.
 *
 * @module
 */

import { type Acl, compileAcl } from "../acl/compile.ts";
import { createDecisionCache, type DecisionCache } from "../acl/decision_cache.ts";
import type { AclAction, AclRule } from "../acl/rules.ts";
import { validateTopic } from "../topic/topic.ts";
import { AuthError } from "../auth/errors.ts";
import type { Principal } from "../auth/principal.ts";
import { createRevocations } from "../auth/revocations.ts";
import { createTokenVerifier, type TokenVerifier } from "../auth/verify.ts";
import { CloseCode } from "../protocol/codes.ts";
import { encodeMessage } from "../protocol/encode.ts";
import { resolveLimits, resolveSources } from "./_resolve_options.ts";
import { createAdmission } from "./admission.ts";
import {
  type Accepted,
  type Admission,
  type ConnInfo,
  type HubRuntime,
  type HubSocket,
  type MalformedUpgrade,
  peerAddress,
  type SocketHandler,
} from "./transport.ts";
import { createMemoryBroker } from "./broker.ts";
import { systemClock } from "./clock.ts";
import { Connection, type Verdict } from "./connection.ts";
import type { HubContext } from "./context.ts";
import { logToStderr } from "./log.ts";
import { createHubMetrics, type HubMetrics, increment, observe } from "./metrics.ts";
import type { HubLimits, HubOptions } from "./options.ts";
import { createFanout } from "./fanout.ts";
import { PatternQuota } from "./_pattern_quota.ts";
import { createFlushQueue } from "./_flush_queue.ts";
import { createDeadlines } from "./_deadlines.ts";
import { Multimap } from "./_multimap.ts";
import { SUBPROTOCOL_V1_BATCH } from "../protocol/subprotocols.ts";

export type {
  Accepted,
  Admission,
  ConnInfo,
  HubSocket,
  MalformedUpgrade,
  Refused,
  SocketHandler,
  Upgrader,
} from "./transport.ts";

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

/** What {@linkcode Hub.broadcast} sends, mirroring the admin route. */
export interface BroadcastInput {
  /** Event name. */
  event?: string;
  /** Publish on this topic (to its subscribers). */
  topic?: string;
  /** Any JSON value. */
  payload: unknown;
  /** Send directly to these users' connections (without `topic`: to them only). */
  users?: string[];
}

/** Connection status of one user, from {@linkcode Hub.userStatus}. */
export interface UserStatus {
  /** Whether the user has at least one authenticated connection. */
  connected: boolean;
  /** How many. */
  connections: number;
  /** When the oldest of them was accepted (epoch ms), or `null`. */
  since: number | null;
}

/** A snapshot from {@linkcode Hub.stats}. */
export interface HubStats {
  /** Open connections (authenticated or not). */
  connections: number;
  /** Distinct authenticated users. */
  users: number;
  /** Distinct topics and patterns with subscribers. */
  topics: number;
  /** Total subscriptions. */
  subscriptions: number;
  /** Frames received per second, averaged over the last 10 s. */
  messagesInPerSecond: number;
  /** Frames sent per second, averaged over the last 10 s. */
  messagesOutPerSecond: number;
  /** Seconds since the hub was created. */
  uptimeSeconds: number;
}

/** A running hub, created by {@linkcode createHub}. */
export interface Hub extends AsyncDisposable {
  /** Upgrades a `Deno.serve` request to a hub connection, or answers why not. */
  upgrade(req: Request, info?: ConnInfo): Promise<Response>;
  /** The same as `upgrade`, as a plain handler for Hono, Oak or Fresh routes. */
  readonly handler: (req: Request, info?: ConnInfo) => Promise<Response>;
  /** Decides an upgrade request without performing it (for transport adapters). */
  admit(req: Request, info?: ConnInfo): Promise<Admission>;
  /** Attaches an upgraded socket (for transport adapters). */
  connect(socket: HubSocket, admission: Accepted): SocketHandler;
  /**
   * Counts, and audits (at most one line a second), an upgrade request a
   * transport adapter could not read and answered 400 (for transport adapters).
   */
  malformedUpgrade(reason: MalformedUpgrade, info?: ConnInfo): void;
  /** Publishes from the server to every subscriber of a concrete topic. */
  publish(topic: string, payload: unknown, options?: PublishOptions): Promise<void>;
  /** To a topic, to listed users, or (with neither) to every connected user. Returns the connections reached directly. */
  broadcast(input: BroadcastInput): Promise<number>;
  /** Sends an event to every connection of one user; returns how many were reached. */
  sendToUser(user: string, event: string, payload: unknown): number;
  /** Whether a user has an authenticated connection. */
  isUserConnected(user: string): boolean;
  /** Connection status of one user. */
  userStatus(user: string): UserStatus;
  /** Closes every connection of a user with 4003; returns how many. */
  disconnectUser(user: string, reason?: string): number;
  /** Disconnects a user (4003) and rejects their tokens issued before now. */
  revoke(target: { user: string }): number;
  /** Whether a verified principal's token was revoked by {@linkcode Hub.revoke} (for the admin API). */
  isRevoked(principal: Principal): boolean;
  /** Replaces the server-side rules and re-checks every live subscription. */
  updateRules(rules: AclRule[]): Promise<void>;
  /** Subscribers of a topic or pattern, as subscribed. */
  subscriberCount(topicOrPattern: string): number;
  /** Counts for the admin API. */
  stats(): HubStats;
  /** Counters and histograms for `/metrics`. */
  readonly metrics: Readonly<HubMetrics>;
  /** The limits in force. */
  readonly limits: Readonly<HubLimits>;
  /** Open connections (authenticated or not). */
  readonly connectionCount: number;
  /** Distinct topics and patterns with local subscribers. */
  readonly topicCount: number;
  /** Total subscriptions. */
  readonly subscriptionCount: number;
  /**
   * Stops accepting, lets frames in flight finish (up to `deadlineMs`,
   * default 5000), then closes every connection with 1001.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

/**
 * Assembles a hub on a {@linkcode HubRuntime}: the hub layer's factory,
 * which never imports a transport or a timer module. `createHub` from
 * `@realtime/hub` passes `Deno.upgradeWebSocket` and `setImmediate`; call
 * this to give `hub.upgrade` another transport or the flush another turn.
 *
 * @param options Authentication, authorization, limits and dependencies.
 * @param runtime How to upgrade and when to flush.
 * @returns The hub.
 *
 * @example Assemble a hub whose upgrade answers 501
 * ```ts
 * import { composeHub } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * const hub = composeHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } }, {
 *   upgrade: () => Promise.resolve(new Response(null, { status: 501 })),
 *   schedule: (fn) => setTimeout(fn, 0),
 * });
 * assert.equal((await hub.upgrade(new Request("http://localhost/ws"))).status, 501);
 * await hub.close();
 * ```
 */
export function composeHub(options: HubOptions, runtime: HubRuntime): Hub {
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
  const aclOptions = options.acl ?? {};
  let acl: Acl = compileAcl(aclOptions);
  const log = options.log ?? logToStderr;
  const metrics = createHubMetrics();
  // Every authentication failure, wherever it happens, is audited here: count it once, here.
  const audit = (entry: Parameters<typeof log>[0]) => {
    if (entry.event === "auth.failed") increment(metrics.authFailures, String(entry.reason));
    (options.audit ?? log)({ ...entry, audit: true });
  };
  const broker = options.broker ?? createMemoryBroker();
  const authorize = options.authorize;
  const cacheMax = options.decisionCache?.max ?? 1024;
  const cacheTtlMs = options.decisionCache?.ttlMs ?? 60_000;
  // A cut-off may be dropped only once every token issued before it has
  // expired: known only when the verifier bounds token lifetimes.
  const lifetimeSec = options.auth?.maxTokenLifetimeSec;
  const revocations = createRevocations({
    now: clock.now,
    keepMs: options.revocationTtlMs ??
      (lifetimeSec === undefined
        ? Infinity
        : (lifetimeSec + (options.auth?.clockToleranceSec ?? 5)) * 1000),
  });
  const createdAt = clock.now();
  let counter = 0;
  const prefix = crypto.randomUUID().slice(0, 8);
  const generateId = options.generateId ?? (() => `${prefix}-${(++counter).toString(36)}`);

  const connections = new Set<Connection>();
  const byUser = new Multimap<Connection>();
  const caches = new WeakMap<Connection, DecisionCache<Verdict>>();
  const flushQueue = createFlushQueue({ schedule: runtime.schedule });
  const deadlines = createDeadlines(clock);
  const fanout = createFanout<Connection>({ broker, metrics, log });
  const registry = fanout.registry;
  let closing = false;

  async function verify(token: string): Promise<Principal> {
    if (verifier === undefined) throw new AuthError("invalid");
    const principal = await verifier.verify(token);
    revocations.check(principal);
    return principal;
  }

  function cacheFor(connection: Connection): DecisionCache<Verdict> {
    let cache = caches.get(connection);
    if (cache === undefined) {
      cache = createDecisionCache<Verdict>({ max: cacheMax, ttlMs: cacheTtlMs, now: clock.now });
      caches.set(connection, cache);
    }
    return cache;
  }

  function check(
    connection: Connection,
    principal: Principal,
    action: AclAction,
    topic: string,
  ): Verdict | Promise<Verdict> {
    // Publish decisions, the hot ones, are keyed by the topic alone (no string
    // to build per frame); others by action and topic. Topics cannot contain
    // U+0000, so the two kinds of key never collide.
    const key = action === "publish" ? topic : action + "\u0000" + topic;
    const hit = caches.get(connection)?.get(key);
    if (hit !== undefined) return hit;
    const started = performance.now();
    const decision = acl.decide(principal, action, topic);
    if (decision.reason === "invalid") {
      return { allowed: false, code: "BAD_REQUEST", message: decision.message };
    }
    const denyRule = !decision.allowed && decision.reason === "rule";
    if (authorize === undefined || denyRule) {
      observe(metrics.aclCheckSeconds, (performance.now() - started) / 1000);
      const verdict = toVerdict(decision.allowed, action, topic);
      if (!verdict.allowed) denied(connection, principal, action, topic, decision.message);
      // Rule decisions are cheap: only publish decisions, which repeat on the
      // hot path, are kept, so idle subscribers hold no cache at all.
      if (action === "publish") cacheFor(connection).set(key, verdict);
      return verdict;
    }
    const rules = acl;
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
      observe(metrics.aclCheckSeconds, (performance.now() - started) / 1000);
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
      // Rules replaced meanwhile: do not cache a decision made under the old ones.
      // The hook may be slow (a database): its answers are kept for every action.
      if (rules === acl && connection.isOpen) cacheFor(connection).set(key, verdict);
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
    increment(metrics.aclDenials, action);
    audit({
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
    fanout,
    patternQuota: new PatternQuota(limits),
    flushQueue,
    deadlines,
    cache: { delete: (connection) => void caches.delete(connection) },
    check,
    publish: (publication) => broker.publish(publication),
    verify,
    onAuthenticated(connection, principal) {
      if (byUser.count(principal.sub) >= limits.maxConnectionsPerUser) {
        increment(metrics.rateLimitHits, "connections_per_user");
        audit({
          level: "warn",
          event: "rate_limited",
          limit: "connections_per_user",
          user: principal.sub,
        });
        return { code: CloseCode.Overloaded, reason: "Too many connections for this user" };
      }
      byUser.add(principal.sub, connection);
      return undefined;
    },
    onClosed(connection, code) {
      connections.delete(connection);
      const sub = connection.principal?.sub;
      if (sub !== undefined) byUser.delete(sub, connection);
      increment(metrics.connectionsClosed, code === undefined ? "abnormal" : String(code));
      observe(metrics.connectionDurationSeconds, (clock.now() - connection.since) / 1000);
    },
    log,
    audit,
    metrics,
  };

  const admit = createAdmission({
    sources,
    limits,
    clock,
    metrics,
    allowedOrigins: new Set(options.allowedOrigins ?? []),
    reject: options.reject ?? "http",
    trustProxy: options.trustProxy ?? false,
    authenticate: options.authenticate,
    canVerify: verifier !== undefined,
    verify,
    connectionCount: () => connections.size,
    isClosing: () => closing,
    audit,
    log,
  });

  let malformedAuditAt = -Infinity;
  let malformedUnaudited = 0;
  function malformedUpgrade(reason: MalformedUpgrade, info?: ConnInfo): void {
    increment(metrics.upgradesMalformed, reason);
    const now = clock.now();
    // A flood of garbage must not flood the audit log: one line a second, with the count since.
    if (now - malformedAuditAt < 1000) {
      malformedUnaudited++;
      return;
    }
    malformedAuditAt = now;
    audit({
      level: "warn",
      event: "upgrade.malformed",
      reason,
      ip: peerAddress(info),
      unaudited: malformedUnaudited,
    });
    malformedUnaudited = 0;
  }

  function connect(socket: HubSocket, admission: Accepted): SocketHandler {
    const batch = admission.protocol === SUBPROTOCOL_V1_BATCH;
    const connection = new Connection(generateId(), socket, context, batch);
    connections.add(connection);
    metrics.connectionsOpened++;
    return new Handler(connection, admission);
  }

  /** Socket events of one connection; a class so an idle socket holds no closures. */
  class Handler implements SocketHandler {
    #connection: Connection;
    #admission: Accepted | undefined;

    constructor(connection: Connection, admission: Accepted) {
      this.#connection = connection;
      this.#admission = admission;
    }

    open(): void {
      const admission = this.#admission;
      if (admission === undefined) return;
      this.#admission = undefined;
      const connection = this.#connection;
      if (admission.closeWith !== undefined) {
        connection.close(admission.closeWith.code, admission.closeWith.reason);
      } else if (closing) {
        connection.close(CloseCode.GoingAway, "Server shutting down");
      } else {
        connection.start(admission.principal);
      }
    }

    message(data: unknown): void {
      this.#connection.receive(data);
    }

    close(code?: number): void {
      this.#connection.closed(code);
    }
  }

  function makePublication(
    topic: string,
    payload: unknown,
    event: string | undefined,
    from: string | null,
  ) {
    return event === undefined
      ? { topic, payload, from, ts: clock.now() }
      : { topic, payload, from, ts: clock.now(), event };
  }

  async function publish(
    topic: string,
    payload: unknown,
    publishOptions: PublishOptions = {},
  ): Promise<void> {
    const problem = validateTopic(topic);
    if (problem !== undefined) throw new TypeError(problem);
    await broker.publish(
      makePublication(topic, payload, publishOptions.event, publishOptions.from ?? null),
    );
  }

  /** Direct delivery to users' connections, outside topics: `topic` is `null`. */
  function sendDirect(
    users: Iterable<string>,
    event: string | undefined,
    payload: unknown,
  ): number {
    const text = encodeMessage({
      type: "message",
      topic: null,
      payload,
      from: null,
      ts: clock.now(),
      event,
    });
    let reached = 0;
    for (const user of users) {
      for (const connection of byUser.get(user)) {
        connection.send(text);
        reached++;
      }
    }
    if (reached > 0) increment(metrics.messagesOut, "message", reached);
    return reached;
  }

  async function broadcast(input: BroadcastInput): Promise<number> {
    if (input.event !== undefined && typeof input.event !== "string") {
      throw new TypeError("Cannot broadcast as 'event' is not a string");
    }
    if (
      input.users !== undefined &&
      (!Array.isArray(input.users) || input.users.some((u) => typeof u !== "string"))
    ) {
      throw new TypeError("Cannot broadcast as 'users' is not an array of strings");
    }
    if (input.topic !== undefined) {
      await publish(input.topic, input.payload, { event: input.event });
      return input.users === undefined ? 0 : sendDirect(input.users, input.event, input.payload);
    }
    return sendDirect(input.users ?? [...byUser.keys()], input.event, input.payload);
  }

  function disconnectUser(user: string, reason = "Disconnected by an operator"): number {
    const connections = byUser.get(user);
    for (const connection of connections) connection.close(CloseCode.Revoked, reason);
    return connections.length;
  }

  async function updateRules(rules: AclRule[]): Promise<void> {
    const next = compileAcl({ ...aclOptions, rules }); // throws, changing nothing, on bad rules
    acl = next;
    audit({ level: "info", event: "acl.rules_updated", rules: rules.length });
    await Promise.all([...connections].map((connection) => connection.recheck()));
  }

  const samples: { at: number; in: number; out: number }[] = [];
  const total = (counter: Map<string, number>) => {
    let sum = 0;
    for (const n of counter.values()) sum += n;
    return sum;
  };
  function stats(): HubStats {
    const now = clock.now();
    const current = { at: now, in: total(metrics.messagesIn), out: total(metrics.messagesOut) };
    while (samples.length > 0 && now - samples[0].at > 10_000) samples.shift();
    const oldest = samples[0] ?? { at: createdAt, in: 0, out: 0 };
    if (samples.length === 0 || now - samples[samples.length - 1].at >= 1000) samples.push(current);
    const seconds = Math.max(1, now - oldest.at) / 1000;
    return {
      connections: connections.size,
      users: byUser.size,
      topics: registry.size,
      subscriptions: registry.subscriptions,
      messagesInPerSecond: round((current.in - oldest.in) / seconds),
      messagesOutPerSecond: round((current.out - oldest.out) / seconds),
      uptimeSeconds: Math.floor((now - createdAt) / 1000),
    };
  }

  async function close(closeOptions: { deadlineMs?: number } = {}): Promise<void> {
    if (closing) return;
    closing = true;
    const deadline = closeOptions.deadlineMs ?? 5000;
    const drained = Promise.all([...connections].map((connection) => connection.drained()));
    let timer: unknown;
    await Promise.race([
      drained,
      new Promise((resolve) => timer = clock.setTimer(() => resolve(undefined), deadline)),
    ]);
    clock.clearTimer(timer);
    for (const connection of [...connections]) {
      connection.close(CloseCode.GoingAway, "Server shutting down");
    }
    deadlines.close();
    await broker.close();
  }

  const upgrade = (req: Request, info?: ConnInfo) =>
    runtime.upgrade({ admit, connect, limits, malformedUpgrade }, req, info);

  return {
    upgrade,
    handler: upgrade,
    admit,
    connect,
    malformedUpgrade,
    publish,
    broadcast,
    sendToUser: (user, event, payload) => sendDirect([user], event, payload),
    isUserConnected: (user) => byUser.has(user),
    userStatus(user) {
      const connections = byUser.get(user);
      if (connections.length === 0) return { connected: false, connections: 0, since: null };
      return {
        connected: true,
        connections: connections.length,
        since: Math.min(...connections.map((c) => c.since)),
      };
    },
    disconnectUser(user, reason) {
      const count = disconnectUser(user, reason);
      audit({ level: "info", event: "user.disconnected", user, connections: count });
      return count;
    },
    revoke({ user }) {
      revocations.revoke(user);
      const count = disconnectUser(user, "Access revoked");
      audit({ level: "warn", event: "revoked", user, connections: count });
      return count;
    },
    isRevoked: revocations.isRevoked,
    updateRules,
    subscriberCount: (topic) => registry.count(topic),
    stats,
    metrics,
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
    [Symbol.asyncDispose]: () => close(),
  };
}

function toVerdict(allowed: boolean, action: AclAction, topic: string): Verdict {
  return allowed
    ? ALLOWED
    : { allowed: false, code: "FORBIDDEN", message: `Not allowed to ${action} to '${topic}'` };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const ALLOWED: Verdict = { allowed: true };
