/**
 * The hub: the composition of its parts and the operations behind the
 * admin API. `composeHub` validates the options and wires the parts, each
 * in its own module with its own slice of the options: the token checks
 * (`_authentication.ts`), the engine (`_engine_setup.ts`), the doors' hosts
 * (`_doors.ts`), the live connections (`_connections.ts`), admission,
 * `fanout.ts`, `permissions.ts`, publishing (`_publishing.ts`), `users.ts`,
 * the operator functions and the control channel (`_operations.ts`), and
 * the cluster node (`_cluster_node.ts`). It runs on a {@linkcode HubRuntime}
 * the server layer gives it, and imports no transport.
 *
 * @module
 */

import type { AclDecision } from "../acl/compile.ts";
import type { AclAction, AclRule } from "../acl/rules.ts";
import type { Principal } from "../auth/principal.ts";
import { resolveLimits, resolveSessionSettings, resolveSources } from "./_resolve_options.ts";
import { createAdmission } from "./admission.ts";
import type {
  Accepted,
  Admission,
  ConnInfo,
  HubRuntime,
  HubSocket,
  MalformedUpgrade,
  SocketHandler,
  UpgradeRequest,
} from "./transport.ts";
import type {
  Engine,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  PresenceStats,
  StreamPosition,
} from "../engine/engine.ts";
import { systemClock } from "./clock.ts";
import { createFrameClock } from "./_frame_clock.ts";
import type { Session } from "./session.ts";
import type { Door } from "./codec/door.ts";
import { createSseEndpoint } from "./sse_endpoint.ts";
import { createPublishEndpoint } from "./publish_endpoint.ts";
import { withCors } from "./_cors.ts";
import type { RpcHandler } from "./handlers.ts";
import { resolveEvents, resolveHandlerLimits, resolveHandlers } from "./_resolve_handlers.ts";
import { HandlerCalls } from "./_handler_calls.ts";
import { createPermissions } from "./permissions.ts";
import { createRulesUpdates } from "./_rules_updates.ts";
import { createUsers } from "./users.ts";
import { createRateSampler } from "./_stats.ts";
import type { HubContext } from "./context.ts";
import { logToStderr } from "./log.ts";
import { createHubMetrics, type HubMetrics, increment, observe } from "./metrics.ts";
import type { HubLimits, HubOptions } from "./options.ts";
import { createFanout } from "./fanout.ts";
import { PatternQuota } from "./_pattern_quota.ts";
import {
  type ConnectionPage,
  listConnections,
  type ListQuery,
  listTopics,
  type TopicPage,
} from "./inspect.ts";
import { warmUp } from "./_warm_up.ts";
import type { NodeList } from "./nodes.ts";
import type { ClusterView } from "./cluster.ts";
import { createDeadlines } from "./_deadlines.ts";
import type { BroadcastInput, PublishOptions } from "./publish_options.ts";
import type { HubStats, UserStatus } from "./hub_stats.ts";
import { createAuthentication } from "./_authentication.ts";
import { setUpEngine } from "./_engine_setup.ts";
import { createDoors } from "./_doors.ts";
import { Connections } from "./_connections.ts";
import { createMalformedUpgrades } from "./_malformed_upgrades.ts";
import { createPublishing } from "./_publishing.ts";
import { createOperations } from "./_operations.ts";
import { createClusterNode } from "./_cluster_node.ts";
import { RpcMethods } from "./_rpc_methods.ts";

export type {
  Accepted,
  Admission,
  ConnInfo,
  HubSocket,
  MalformedUpgrade,
  Peer,
  Refused,
  SocketHandler,
  Upgrader,
  UpgradeRequest,
} from "./transport.ts";
export type { BroadcastInput, PublishOptions } from "./publish_options.ts";
export type { HubStats, UserStatus } from "./hub_stats.ts";

/** A running hub, created by {@linkcode createHub}. */
export interface Hub extends AsyncDisposable {
  /** Upgrades a `Deno.serve` request to a hub connection, or answers why not. */
  upgrade(req: Request, info?: ConnInfo): Promise<Response>;
  /** The same as `upgrade`, as a plain handler for Hono, Oak or Fresh routes. */
  readonly handler: (req: Request, info?: ConnInfo) => Promise<Response>;
  /**
   * Decides an upgrade request without performing it (for transport
   * adapters): a `Request`, or an adapter's lighter {@linkcode UpgradeRequest}.
   */
  admit(req: Request | UpgradeRequest, info?: ConnInfo): Promise<Admission>;
  /** Attaches an upgraded socket (for transport adapters). */
  connect(socket: HubSocket, admission: Accepted): SocketHandler;
  /**
   * Answers `GET /sse?topic=…` with a `text/event-stream` of the topics, or
   * with the JSON refusal (`docs/protocol.md`, "Server-Sent Events"). Mount
   * it where clients expect it (`serve` mounts it at `/sse`). Answers CORS
   * preflights, and CORS for the origins in `allowedOrigins`.
   */
  sse(req: Request, info?: ConnInfo): Promise<Response>;
  /**
   * Answers `POST /publish` with a bearer token and a JSON body
   * `{topic, payload}`: one publication, with the ACL and limits of a
   * protocol v1 publish (`docs/protocol.md`, "HTTP publish"). `serve` mounts
   * it at `/publish`. Answers CORS as {@linkcode Hub.sse} does.
   */
  httpPublish(req: Request, info?: ConnInfo): Promise<Response>;
  /**
   * Counts, and audits (at most one line a second), an upgrade request a
   * transport adapter could not read and answered 400 (for transport adapters).
   */
  malformedUpgrade(reason: MalformedUpgrade, info?: ConnInfo): void;
  /**
   * Runs what every connection runs (token verification, the ACL, frame
   * parsing and encoding) on made-up input, touching no connection, metric,
   * log or engine, so the first clients of a fresh process do not pay for
   * compiling it. `serve` calls it before it listens; call it yourself
   * before mounting `upgrade` on a server of your own.
   */
  warmUp(): Promise<void>;
  /**
   * Publishes from the server to every subscriber of a concrete topic.
   * Rejects with a {@linkcode PublishError} when the topic's signing rule
   * refuses it (a plain publication to a signed topic, a signed one to a
   * topic that takes none, a key the topic does not accept), and with a
   * `TypeError` for an invalid topic or a key that cannot sign.
   *
   * @returns The publication's position, or `undefined` when the topic keeps no history.
   */
  publish(
    topic: string,
    payload: unknown,
    options?: PublishOptions,
  ): Promise<StreamPosition | undefined>;
  /**
   * Registers the answer to a client's `rpc` request for `method` (1 to 128
   * of letters, digits and `_.:/-`), or for every method starting with a
   * prefix when `method` ends with `*` (`"chat.*"`; an exact name wins, then
   * the longest prefix). The handler's return value is the
   * reply's `data`; a thrown `HubError` is the client's error, anything else
   * `INTERNAL`; past `handlerLimits.timeoutMs`, `TIMEOUT`.
   *
   * @param method The method name.
   * @param handler Its handler.
   * @throws {TypeError} For a bad name or one already registered.
   *
   * @example Answer a method
   * ```ts ignore
   * hub.rpc("time.now", ({ principal }) => ({ now: Date.now(), for: principal.sub }));
   * ```
   */
  rpc(method: string, handler: RpcHandler): void;
  /** Reads a topic's history (as the `history` request does, without an ACL check). */
  history(topic: string, query?: Partial<HistoryQuery>): Promise<HistoryResult>;
  /** Who is present on a concrete topic, one entry per connection, on every hub of the engine. */
  presence(topic: string): Promise<readonly PresenceEntry[]>;
  /** How many connections and distinct users are present on a concrete topic. */
  presenceStats(topic: string): Promise<PresenceStats>;
  /** The engine this hub runs on. */
  readonly engine: Engine;
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
  /**
   * As {@linkcode Hub.disconnectUser}, and resolves once the engine sent the
   * command to every hub; rejects with an `EngineError` when it could not
   * (this hub's connections are closed either way).
   *
   * @returns How many connections it closed on this hub.
   */
  disconnectUserEverywhere(user: string, reason?: string): Promise<number>;
  /**
   * Disconnects a user (4003) and rejects their tokens issued before now;
   * with `session`, only the connections and tokens whose `sid` claim is
   * that session (a logout), whenever issued.
   */
  revoke(target: { user: string; session?: string }): number;
  /**
   * As {@linkcode Hub.revoke}, and resolves once the engine stored the
   * revocation and sent it to every hub (a hub cut off from the engine then
   * reads it when it is back). It is applied on this hub in any case: when
   * the engine cannot carry it, it rejects with an `EngineError`
   * (`ENGINE_UNAVAILABLE`) and the other hubs do not know it; call it again.
   *
   * @returns How many connections it closed on this hub.
   */
  revokeEverywhere(target: { user: string; session?: string }): Promise<number>;
  /** Whether a verified principal's token was revoked by {@linkcode Hub.revoke} (for the admin API). */
  isRevoked(principal: Principal): boolean;
  /**
   * Replaces the server-side rules and re-checks every live subscription,
   * then sends them to the other hubs of the engine with each secret
   * signing key replaced by its fingerprint (`{"fingerprint": "sha256:..."}`),
   * which a hub resolves from the keys it holds. A rule's `signed.keys` may
   * itself be such a fingerprint, naming a key this hub holds (as the admin
   * API's `GET /rules` answers it); an unknown one, or invalid rules, reject with a
   * `RulesError` (a TypeError) and change nothing. When the engine cannot
   * send them to the other hubs, it rejects with an `EngineError` after the
   * rules took effect on this hub.
   */
  updateRules(rules: AclRule[]): Promise<void>;
  /** Subscribers of a topic or pattern, as subscribed. */
  subscriberCount(topicOrPattern: string): number;
  /** Counts for the admin API. */
  stats(): HubStats;
  /** This hub's id in the node list (`options.node.id`, or a random one). */
  readonly nodeId: string;
  /**
   * Every live hub of the engine as each last announced itself (this one
   * fresh, first); with an engine that keeps no list, or cannot be read
   * now, this hub alone with `scope: "local"`.
   */
  nodes(): Promise<NodeList>;
  /**
   * Cluster-wide answers: sends, disconnects, revocations, a user's
   * connections, subscriber counts, totals and connection listings, asked
   * of every hub in the node list and answered per node, naming the hubs
   * that did not answer in time (see `docs/admin.md`).
   */
  readonly cluster: ClusterView;
  /** A page of open connections, oldest first (for the admin API and console). */
  listConnections(query?: ListQuery): ConnectionPage;
  /** A page of topics and patterns, most subscribers first (for the admin API and console). */
  listTopics(query?: ListQuery): TopicPage;
  /** The server-side rules in force, as last set. */
  readonly rules: readonly AclRule[];
  /**
   * Decides with the rules in force for a principal made of `claims`
   * (`sub`, and roles from the roles claim), as `realtime-cli acl explain`
   * does; the `authorize` hook is not consulted.
   */
  explain(
    claims: Readonly<Record<string, unknown>>,
    action: AclAction,
    target: string,
  ): AclDecision;
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
  const clock = options.clock ?? systemClock;
  /** The clock as a frame's handling sees it: read once per frame (`_frame_clock.ts`). */
  const frameClock = createFrameClock(clock);
  const authentication = createAuthentication(options, clock);
  const { verifier, verify, revocations } = authentication;
  const log = options.log ?? logToStderr;
  const metrics = createHubMetrics();
  // Every authentication failure, wherever it happens, is audited here: count it once, here.
  const audit = (entry: Parameters<typeof log>[0]) => {
    if (entry.event === "auth.failed") increment(metrics.authFailures, String(entry.reason));
    (options.audit ?? log)({ ...entry, audit: true });
  };
  const settings = resolveSessionSettings(options);
  const { engine, ownsEngine, historyOf } = setUpEngine(options, clock);
  const createdAt = clock.now();
  let counter = 0;
  const prefix = crypto.randomUUID().slice(0, 8);
  const generateId = options.generateId ?? (() => `${prefix}-${(++counter).toString(36)}`);

  const handlers = resolveHandlers(options.handlers);
  const events = resolveEvents(options.events, log);
  const handlerLimits = resolveHandlerLimits(options.handlerLimits);
  const rpcMethods = new RpcMethods();
  const deadlines = createDeadlines(clock);
  const doors = createDoors(options, {
    schedule: runtime.schedule,
    clock,
    frameClock,
    limits,
    metrics,
    deadlines,
    idPrefix: prefix,
  });
  const { flushQueue } = doors;
  const fanout = createFanout<Session>({ engine, metrics, log });
  const registry = fanout.registry;

  const users = createUsers<Session>({
    maxConnectionsPerUser: limits.maxConnectionsPerUser,
    clock,
    metrics,
    audit,
  });
  const rates = createRateSampler(metrics, createdAt);

  const permissions = createPermissions<Session>({
    acl: options.acl ?? {},
    authorize: options.authorize,
    cache: {
      max: options.decisionCache?.max ?? 1024,
      ttlMs: options.decisionCache?.ttlMs ?? 60_000,
    },
    clock: frameClock,
    metrics,
    log,
    audit,
  });

  const publishing = createPublishing({
    engine,
    ownsEngine,
    events,
    clock,
    frameClock,
    signingFor: (topic) => permissions.acl.signingFor(topic),
    log,
  });

  const context: HubContext = {
    clock,
    createdAt,
    frameClock,
    limits,
    firstMessageTimeoutMs: settings.firstMessageTimeoutMs,
    tokenExpiringLeadMs: settings.tokenExpiringLeadMs,
    fanout,
    patternQuota: new PatternQuota(limits),
    flushQueue,
    deadlines,
    cache: { delete: (connection) => permissions.forget(connection) },
    check: permissions.check,
    publish: publishing.publishFrom,
    signed: publishing.signed,
    engine,
    historyOf,
    maxRecover: settings.maxRecover,
    presence: settings.presence,
    presenceInfo: settings.presenceInfo,
    verify,
    onAuthenticated: (connection, principal) => users.add(connection, principal),
    onClosed(connection, code) {
      connections.delete(connection);
      users.delete(connection, connection.principal);
      increment(metrics.connectionsClosed, code === undefined ? "abnormal" : String(code));
      observe(metrics.connectionDurationSeconds, (clock.now() - connection.since) / 1000);
    },
    log,
    audit,
    metrics,
    handlers,
    rpcHandler: (method) => rpcMethods.find(method),
    calls: new HandlerCalls({
      limits: handlerLimits,
      clock,
      deadlines,
      metrics,
      log,
    }),
    events,
  };
  const connections = new Connections({ doors, context, metrics, clock, generateId });

  const allowedOrigins: ReadonlySet<string> = new Set(options.allowedOrigins ?? []);
  const admit = createAdmission({
    sources,
    limits,
    clock,
    metrics,
    allowedOrigins,
    reject: options.reject ?? "http",
    trustProxy: options.trustProxy ?? false,
    authenticate: options.authenticate,
    anonymous: options.anonymous ?? false,
    canVerify: verifier !== undefined,
    verify,
    connectionCount: () => connections.size,
    isClosing: () => connections.closing,
    audit,
    log,
  });
  const malformedUpgrade = createMalformedUpgrades({ clock, metrics, audit });
  const connect = (socket: HubSocket, admission: Accepted) =>
    connections.connect(socket, admission);

  const shellDeps = {
    admit: (req: Request, info: ConnInfo | undefined, door: "sse" | "http") =>
      admit(req, info, door),
    open: (door: Door, peer: Accepted["peer"]) => connections.open(door, peer),
    limits,
    flushQueue,
    clock,
    shared: doors.sseShared,
  };
  const sseEndpoint = createSseEndpoint(shellDeps, options.sse);
  // Pages on other origins than the hub's use these doors when listed (src/hub/_cors.ts).
  const sse = withCors(sseEndpoint.handle, allowedOrigins, "GET, POST");
  const httpPublish = withCors(createPublishEndpoint(shellDeps, metrics), allowedOrigins, "POST");

  const publish = publishing.publish;

  // Rule replacements, here and (secret keys by fingerprint) on other hubs.
  const rulesUpdates = createRulesUpdates({
    current: () => permissions.acl.rules,
    replace: (rules) => permissions.replaceRules(rules),
    recheck: async () => {
      await Promise.all([...connections.all].map((connection) => connection.recheck()));
    },
    control: (command) => operations.control(command).sent,
    audit,
    log,
    now: () => clock.now(),
  });

  const operations = createOperations<Session>({
    engine,
    users,
    connections: connections.all,
    revocations,
    revocationKeepMs: authentication.revocationKeepMs,
    now: () => clock.now(),
    publish,
    applyRules: (rules, version) => rulesUpdates.applyCommand(rules, version),
    audit,
    log,
  });

  function stats(): HubStats {
    const now = clock.now();
    return {
      connections: connections.size,
      users: users.size,
      topics: registry.size,
      subscriptions: registry.subscriptions,
      ...rates(now),
      uptimeSeconds: Math.floor((now - createdAt) / 1000),
    };
  }

  const node = createClusterNode(options.node ?? {}, {
    engine,
    ownsEngine,
    clock,
    startedAt: createdAt,
    log,
    sendToUsers: (list, event, data) => users.send(list, event, JSON.parse(data)),
    disconnectUser: operations.disconnectLocal,
    disconnectConnection: operations.disconnectConnection,
    revoke: operations.revokeLocal,
    revocationKeepMs: authentication.revocationKeepMs,
    userStatus: (user) => users.status(user),
    subscriberCount: (topic) => registry.count(topic),
    stats,
    listConnections: (query) => listConnections(connections.all, query),
  });
  // Every command from the engine's control channel, sent by this hub or another.
  const stopControl = engine.onControl((command) => {
    // Answers, questions, and actions this hub applied before asking.
    if (node.control.consumed(command)) return;
    const touched = operations.apply(command);
    if ("ask" in command) node.control.answer(command.ask, touched);
  });

  async function close(closeOptions: { deadlineMs?: number } = {}): Promise<void> {
    if (connections.closing) return;
    connections.closing = true;
    await node.close();
    await connections.closeAll(closeOptions.deadlineMs ?? 5000);
    flushQueue.close();
    deadlines.close();
    stopControl();
    await fanout.close();
    if (ownsEngine) await engine.close();
  }

  const upgrade = (req: Request, info?: ConnInfo) =>
    runtime.upgrade({ admit, connect, limits, malformedUpgrade }, req, info);

  return {
    upgrade,
    handler: upgrade,
    admit,
    connect,
    sse,
    httpPublish,
    malformedUpgrade,
    warmUp: () => warmUp({ ...authentication.warmUp, acl: permissions.acl, limits }),
    publish,
    broadcast: operations.broadcast,
    sendToUser: (user, event, payload) => operations.sendTo([user], event, payload),
    history: (topic, query = {}) => engine.history(topic, { limit: 100, ...query }),
    presence: (topic) => engine.presence(topic),
    presenceStats: (topic) => engine.presenceStats(topic),
    engine,
    isUserConnected: (user) => users.has(user),
    userStatus: (user) => users.status(user),
    disconnectUser: (user, reason) => operations.disconnect(user, reason).count,
    async disconnectUserEverywhere(user, reason) {
      const { count, sent } = operations.disconnect(user, reason);
      await sent;
      return count;
    },
    revoke: (target) => operations.revoke(target).count,
    async revokeEverywhere(target) {
      const { count, sent } = operations.revoke(target);
      await sent;
      return count;
    },
    isRevoked: revocations.isRevoked,
    rpc: (method, handler) => rpcMethods.register(method, handler),
    updateRules: (rules) => rulesUpdates.update(rules),
    subscriberCount: (topic) => registry.count(topic),
    stats,
    nodeId: node.id,
    nodes: () => node.list(),
    cluster: node.view,
    listConnections: (query) => listConnections(connections.all, query),
    listTopics: (query) => listTopics(registry.keys(), registry.count, query),
    get rules() {
      return permissions.acl.rules;
    },
    explain: (claims, action, target) =>
      permissions.acl.decide(authentication.principalOf(claims), action, target),
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
