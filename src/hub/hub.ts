/**
 * The hub: the composition of its parts (admission, connections,
 * `fanout.ts`, `permissions.ts`, `users.ts`, stats) and the operations
 * behind the admin API. It runs on a {@linkcode HubRuntime} the server layer
 * gives it, and imports no transport.
 *
 * @module
 */

import type { AclDecision } from "../acl/compile.ts";
import type { AclAction, AclRule } from "../acl/rules.ts";
import { validateTopic } from "../topic/topic.ts";
import { AuthError } from "../auth/errors.ts";
import type { Principal } from "../auth/principal.ts";
import { readRoles } from "../auth/roles.ts";
import { createRevocations } from "../auth/revocations.ts";
import { createTokenVerifier, type TokenVerifier } from "../auth/verify.ts";
import { CloseCode } from "../protocol/codes.ts";
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
  type UpgradeRequest,
} from "./transport.ts";
import type {
  ControlCommand,
  Engine,
  EnginePublication,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  PresenceStats,
  StreamPosition,
} from "../engine/engine.ts";
import { createMemoryEngine } from "../engine/memory_engine.ts";
import { compileHistoryPolicy } from "../engine/history_policy.ts";
import { systemClock } from "./clock.ts";
import { createFrameClock } from "./_frame_clock.ts";
import { Session } from "./session.ts";
import { V1Door, type V1DoorHost } from "./codec/v1.ts";
import type { Door } from "./codec/door.ts";
import { createSseEndpoint } from "./sse_endpoint.ts";
import { createPublishEndpoint } from "./publish_endpoint.ts";
import { withCors } from "./_cors.ts";
import { StompDoor } from "./codec/stomp.ts";
import { createStompHost } from "./stomp_options.ts";
import type { RpcHandler } from "./handlers.ts";
import {
  resolveEvents,
  resolveHandlerLimits,
  resolveHandlers,
  RPC_METHOD_NAME,
} from "./_resolve_handlers.ts";
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
import { createFlushQueue } from "./_flush_queue.ts";
import { SharedBatch } from "./codec/shared_batch.ts";
import { warmUp } from "./_warm_up.ts";
import { createNodeAnnouncer, type NodeList } from "./nodes.ts";
import { createClusterAsks } from "./cluster_asks.ts";
import { type ClusterView, createClusterView, DISCONNECT_KEEP_MS } from "./cluster.ts";
import { createDeadlines, type Deadline } from "./_deadlines.ts";
import { STOMP_SUBPROTOCOLS, SUBPROTOCOL_V1_BATCH } from "../protocol/subprotocols.ts";
import type { PublicationSigner, PublicationSigningKey } from "../signing/sign.ts";
import { createSignedPublish, type PublishAdmission } from "./_signed_publish.ts";
import { PublishError } from "./publish_error.ts";
import { utf8ByteLength } from "./codec/utf8.ts";

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

/** Most bytes of presence info (encoded) kept per connection; a larger value is left out. */
const MAX_PRESENCE_INFO_BYTES = 1024;

/** The token claim's value as presence info, when it is JSON of at most 1 KiB in UTF-8. */
function presenceInfo(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text !== undefined && utf8ByteLength(text) <= MAX_PRESENCE_INFO_BYTES ? value : undefined;
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
  /**
   * Signs the publication with this key (a secret, a PEM or JWK private
   * key, or a signer from `createPublicationSigner`, which imports its key
   * once). The topic must require signed publications and accept the key:
   * the hub verifies it as it would a client's, so subscribers receive the
   * payload and the JWS and can verify it themselves. Without it, a topic
   * that requires signatures refuses the publication.
   *
   * @default {undefined}
   */
  sign?: PublicationSigningKey | PublicationSigner;
  /**
   * Makes the publication safe to retry: a key this publisher (`from`)
   * used on the topic within the engine's idempotency window is not
   * published again, and the first publication's position is returned.
   * 1 to 64 printable ASCII characters without space.
   *
   * @default {undefined}
   */
  idempotencyKey?: string;
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
  /**
   * Sign the publication on `topic` with this key, as {@linkcode PublishOptions.sign}
   * does. Only with `topic`: direct sends to users are never signed.
   *
   * @default {undefined}
   */
  sign?: PublicationSigningKey | PublicationSigner;
  /**
   * Make the publication on `topic` safe to retry, as {@linkcode PublishOptions.idempotencyKey}
   * does (in the server's scope). Only with `topic` and without `users`: direct sends to users
   * are not remembered, so a retry would reach them twice.
   *
   * @default {undefined}
   */
  idempotencyKey?: string;
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
  if (options.auth !== undefined && options.verifier !== undefined) {
    throw new TypeError("Cannot create hub with both 'auth' and 'verifier': give one");
  }
  const clock = options.clock ?? systemClock;
  /** The clock as a frame's handling sees it: read once per frame (`_frame_clock.ts`). */
  const frameClock = createFrameClock(clock);
  const verifier: TokenVerifier | undefined = options.verifier ??
    (options.auth !== undefined
      ? createTokenVerifier({ now: clock.now, ...options.auth })
      : undefined);
  if (verifier === undefined && options.authenticate === undefined) {
    throw new TypeError("Cannot create hub without 'auth', 'verifier' or 'authenticate'");
  }
  const aclOptions = options.acl ?? {};
  const log = options.log ?? logToStderr;
  const metrics = createHubMetrics();
  // Every authentication failure, wherever it happens, is audited here: count it once, here.
  const audit = (entry: Parameters<typeof log>[0]) => {
    if (entry.event === "auth.failed") increment(metrics.authFailures, String(entry.reason));
    (options.audit ?? log)({ ...entry, audit: true });
  };
  const maxRecover = options.maxRecover ?? 1000;
  if (!Number.isSafeInteger(maxRecover) || maxRecover < 0) {
    throw new RangeError(
      `Cannot create hub as 'maxRecover' is ${maxRecover}: a non-negative integer is required`,
    );
  }
  const presenceInfoClaim = options.presenceInfoClaim ?? "info";
  if (typeof presenceInfoClaim !== "string" || presenceInfoClaim === "") {
    throw new TypeError("Cannot create hub as 'presenceInfoClaim' is not a non-empty string");
  }
  // Validated here even when an engine is given, so a bad rule fails at creation.
  const historyPolicy = compileHistoryPolicy(options.history ?? []);
  const ownsEngine = options.engine === undefined;
  const engine: Engine = options.engine ?? createMemoryEngine({
    history: options.history ?? [],
    maxHistoryBytes: options.maxHistoryBytes,
    idempotencyWindowMs: options.idempotencyWindowMs,
    maxIdempotencyKeys: options.maxIdempotencyKeys,
    maxIdempotencyKeysTotal: options.maxIdempotencyKeysTotal,
    clock,
  });
  const historyOf: (topic: string) => "yes" | "no" | "ask" =
    options.engine !== undefined && options.history === undefined
      ? () => "ask"
      : (topic) => historyPolicy(topic) === undefined ? "no" : "yes";
  // A cut-off may be dropped only once every token issued before it has
  // expired: known only when the verifier bounds token lifetimes.
  const lifetimeSec = options.auth?.maxTokenLifetimeSec;
  const revocationKeepMs = options.revocationTtlMs ??
    (lifetimeSec === undefined
      ? Infinity
      : (lifetimeSec + (options.auth?.clockToleranceSec ?? 5)) * 1000);
  const revocations = createRevocations({ now: clock.now, keepMs: revocationKeepMs });
  const createdAt = clock.now();
  let counter = 0;
  const prefix = crypto.randomUUID().slice(0, 8);
  const generateId = options.generateId ?? (() => `${prefix}-${(++counter).toString(36)}`);

  const connections = new Set<Session>();
  const handlers = resolveHandlers(options.handlers);
  const events = resolveEvents(options.events, log);
  /** Tells the observer of a publication once the engine took it. */
  const published = (topic: string, from: string | null, data: string) =>
  (
    position: StreamPosition | undefined,
  ) => {
    events?.({
      type: "publication",
      at: clock.now(),
      topic,
      from,
      data,
      offset: position?.offset,
    });
    return position;
  };
  /**
   * Publishes through the engine and tells `events` of the publication,
   * unless its idempotency key was a repeat the engine did not publish.
   */
  const publishOnce = (
    topic: string,
    publication: EnginePublication,
    idempotencyKey: string | undefined,
  ): Promise<StreamPosition | undefined> => {
    if (idempotencyKey === undefined) {
      const sent = engine.publish(topic, publication);
      return events === undefined
        ? sent
        : sent.then(published(topic, publication.from, publication.data));
    }
    let repeat = false;
    const sent = engine.publish(topic, publication, {
      idempotencyKey,
      onRepeat: () => void (repeat = true),
    });
    return events === undefined
      ? sent
      : sent.then((position) =>
        repeat ? position : published(topic, publication.from, publication.data)(position)
      );
  };
  const handlerLimits = resolveHandlerLimits(options.handlerLimits);
  const rpcMethods = new Map<string, RpcHandler>();
  // Prefix registrations ("chat.*"), longest first.
  const rpcPrefixes: [string, RpcHandler][] = [];
  /** The last batch written by each kind of v1 door, forgotten once a flush is done. */
  const plainShared = new SharedBatch();
  const batchShared = new SharedBatch();
  /** The same for SSE streams and for STOMP sessions. */
  const sseShared = new SharedBatch();
  const stompShared = new SharedBatch();
  const flushQueue = createFlushQueue({
    schedule: runtime.schedule,
    coalesceMs: options.coalesceMs ?? 2,
    // A publication queued while a frame is handled is held or not by the
    // frame's reading of the clock, not one more reading per subscriber.
    clock: frameClock,
    drained() {
      plainShared.clear();
      batchShared.clear();
      sseShared.clear();
      stompShared.clear();
      stompHost.codec.clear();
    },
  });
  const deadlines = createDeadlines(clock);
  const fanout = createFanout<Session>({ engine, metrics, log });
  const registry = fanout.registry;
  let closing = false;

  async function verify(token: string): Promise<Principal> {
    if (verifier === undefined) throw new AuthError("invalid");
    const principal = await verifier.verify(token);
    revocations.check(principal);
    return principal;
  }

  const users = createUsers<Session>({
    maxConnectionsPerUser: limits.maxConnectionsPerUser,
    clock,
    metrics,
    audit,
  });
  const rates = createRateSampler(metrics, createdAt);

  const permissions = createPermissions<Session>({
    acl: aclOptions,
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

  const claimOnce = engine.claimOnce;
  const signed = createSignedPublish({
    signingFor: (topic) => permissions.acl.signingFor(topic),
    log,
    // A replay window shared by every hub of a networked engine.
    ...(claimOnce === undefined || ownsEngine
      ? {}
      : { claimOnce: claimOnce.bind(engine), now: () => clock.now() }),
  });
  /** The sender the hub's own plain publications are ordered under. */
  const server = {};

  const context: HubContext = {
    clock,
    frameClock,
    limits,
    firstMessageTimeoutMs: options.firstMessageTimeoutMs ?? 5000,
    tokenExpiringLeadMs: options.tokenExpiringLeadMs ?? 60_000,
    fanout,
    patternQuota: new PatternQuota(limits),
    flushQueue,
    deadlines,
    cache: { delete: (connection) => permissions.forget(connection) },
    check: permissions.check,
    publish: (topic, payload, from, jws, idempotencyKey) => {
      const data = JSON.stringify(payload) ?? "null";
      const publication = jws === undefined
        ? { data, from, ts: frameClock.now() }
        : { data, from, ts: frameClock.now(), extra: jws };
      return publishOnce(topic, publication, idempotencyKey);
    },
    signed,
    engine,
    historyOf,
    maxRecover,
    presence: options.presence ?? true,
    presenceInfo: (principal) => presenceInfo(principal.claims[presenceInfoClaim]),
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
    rpcHandler: (method) =>
      rpcMethods.get(method) ?? rpcPrefixes.find(([prefix]) => method.startsWith(prefix))?.[1],
    calls: new HandlerCalls({
      limits: handlerLimits,
      clock,
      deadlines,
      metrics,
      log,
    }),
    events,
  };

  /** The v1 doors' hosts, with and without `realtime.v1.batch`. */
  const plainHost: V1DoorHost = { limits, flushQueue, metrics, batch: false, shared: plainShared };
  const batchHost: V1DoorHost = { limits, flushQueue, metrics, batch: true, shared: batchShared };
  /** The STOMP doors' host (`docs/stomp.md`). */
  const stompHost = createStompHost(options.stomp, {
    limits,
    flushQueue,
    metrics,
    timers: {
      now: () => clock.now(),
      add: (at, fn, self) => deadlines.add(at, fn, self),
      cancel: (d) => deadlines.cancel(d as Deadline),
    },
    idPrefix: prefix,
    shared: stompShared,
  });

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
    const stomp = admission.protocol === undefined
      ? undefined
      : STOMP_SUBPROTOCOLS[admission.protocol];
    if (stomp !== undefined) {
      const door = new StompDoor(socket, stompHost, stomp);
      const peer = { remoteAddr: admission.peer?.remoteAddr, transport: "stomp" };
      const connection = new Session(generateId(), door, context, peer);
      door.bind(connection);
      connections.add(connection);
      metrics.connectionsOpened++;
      return new Handler(connection, admission);
    }
    const batch = admission.protocol === SUBPROTOCOL_V1_BATCH;
    const door = new V1Door(socket, batch ? batchHost : plainHost);
    const connection = new Session(generateId(), door, context, admission.peer);
    door.bind(connection);
    connections.add(connection);
    metrics.connectionsOpened++;
    increment(metrics.connectionsByTransport, admission.peer?.transport ?? "unknown");
    return new Handler(connection, admission);
  }

  /** A session on one of the HTTP doors (SSE, HTTP publish), registered as a connection. */
  function openSession(door: Door, peer: Accepted["peer"]): Session {
    const session = new Session(generateId(), door, context, peer);
    connections.add(session);
    metrics.connectionsOpened++;
    increment(metrics.connectionsByTransport, peer?.transport ?? "unknown");
    return session;
  }
  const shellDeps = {
    admit: (req: Request, info: ConnInfo | undefined, door: "sse" | "http") =>
      admit(req, info, door),
    open: openSession,
    limits,
    flushQueue,
    clock,
    shared: sseShared,
  };
  const sseEndpoint = createSseEndpoint(shellDeps, options.sse);
  // Pages on other origins than the hub's use these doors when listed (src/hub/_cors.ts).
  const sse = withCors(sseEndpoint.handle, allowedOrigins, "GET, POST");
  const httpPublish = withCors(createPublishEndpoint(shellDeps, metrics), allowedOrigins, "POST");

  /** Socket events of one connection; a class so an idle socket holds no closures. */
  class Handler implements SocketHandler {
    #connection: Session;
    #admission: Accepted | undefined;

    constructor(connection: Session, admission: Accepted) {
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

  async function publish(
    topic: string,
    payload: unknown,
    publishOptions: PublishOptions = {},
  ): Promise<StreamPosition | undefined> {
    const problem = validateTopic(topic);
    if (problem !== undefined) throw new TypeError(problem);
    const { sign } = publishOptions;
    // A plain publication to a topic that requires no signature is not
    // awaited, so it reaches the engine in the same turn, as it always did.
    const pending = sign !== undefined
      ? signed.sign(topic, payload, sign)
      : signed.admit(server, topic, payload, undefined);
    const admission: PublishAdmission | undefined = pending === undefined
      ? undefined
      : await pending;
    if (admission !== undefined && !admission.ok) {
      throw new PublishError(admission.code, admission.message);
    }
    const data = JSON.stringify(admission === undefined ? payload : admission.payload) ?? "null";
    const from = publishOptions.from ?? null;
    const event = publishOptions.event;
    const jws = admission?.jws;
    const ts = clock.now();
    const publication = event === undefined
      ? (jws === undefined ? { data, from, ts } : { data, from, ts, extra: jws })
      : (jws === undefined ? { data, from, ts, event } : { data, from, ts, event, extra: jws });
    return await publishOnce(topic, publication, publishOptions.idempotencyKey);
  }

  // Rule replacements, here and (secret keys by fingerprint) on other hubs.
  const rulesUpdates = createRulesUpdates({
    current: () => permissions.acl.rules,
    replace: (rules) => permissions.replaceRules(rules),
    recheck: async () => {
      await Promise.all([...connections].map((connection) => connection.recheck()));
    },
    control: (command) => controlConfirmed(command).sent,
    audit,
    log,
    now: () => clock.now(),
  });

  /**
   * Applies a command from the engine's control channel (sent by this hub
   * or another): what the operator functions do on every process.
   */
  let reached = 0;
  function applyControl(command: ControlCommand): void {
    // Answers, questions, and actions this hub applied before asking.
    if (clusterControl.consumed(command)) return;
    const touched = applyAction(command);
    if ("ask" in command) clusterControl.answer(command.ask, touched);
  }

  /** Applies an action here; returns how many local connections it touched. */
  function applyAction(command: ControlCommand): number {
    switch (command.type) {
      case "send_to_user": {
        const n = users.send([command.user], command.event, JSON.parse(command.data));
        reached += n;
        return n;
      }
      case "broadcast_users": {
        const n = users.send(command.users, command.event, JSON.parse(command.data));
        reached += n;
        return n;
      }
      case "disconnect_user":
        // Handed back after a reconnect, it spares connections made since.
        return command.at === undefined
          ? users.disconnect(command.user, command.reason)
          : users.disconnectAcceptedBy(command.user, command.at, command.reason);
      case "disconnect_connection":
        return disconnectConnection(command.connection, command.reason);
      case "revoke":
        // With the time it was made: the engine hands stored revocations
        // back after a reconnect, when a user may have signed in again since.
        if (command.session !== undefined) {
          revocations.revokeSession(command.user, command.session, { at: command.at });
          return users.disconnectSession(command.user, command.session, "Session ended");
        }
        revocations.revoke(command.user, { at: command.at });
        return users.disconnectRevoked(command.user, revocations.isRevoked, "Access revoked");
      case "update_rules":
        rulesUpdates.applyCommand(command.rules, command.version);
        return 0;
      default:
        return 0;
    }
  }

  /** Closes one local connection by id (4003); returns 1, or 0 when it is not here. */
  function disconnectConnection(id: string, reason: string): number {
    for (const connection of connections) {
      if (connection.id !== id) continue;
      connection.close(CloseCode.Revoked, reason);
      audit({ level: "info", event: "connection.disconnected", connection: id });
      return 1;
    }
    return 0;
  }

  /**
   * Sends a command through the engine and returns how many local
   * connections it reached before `control` returned (all of them with the
   * in-memory engine, which applies it synchronously).
   */
  function control(command: ControlCommand): number {
    return controlConfirmed(command).reached;
  }

  /**
   * As {@linkcode control}, with the engine's answer: `sent` rejects (an
   * `EngineError`) when the command could not be carried to the other hubs.
   */
  function controlConfirmed(command: ControlCommand): { reached: number; sent: Promise<void> } {
    reached = 0;
    const sent = engine.control(command);
    sent.catch((error) =>
      log({
        level: "error",
        event: "engine.control_failed",
        command: command.type,
        error: error instanceof Error ? error.name : typeof error,
      })
    );
    const count = reached;
    reached = 0;
    return { reached: count, sent };
  }

  /** `disconnectUser` here, then on every hub; `sent` says whether the other hubs were told. */
  function disconnectHere(user: string, reason = "Disconnected by an operator") {
    // Local connections close at once; the command closes them on other hubs.
    const count = users.disconnect(user, reason);
    const { sent } = controlConfirmed({
      type: "disconnect_user",
      user,
      reason,
      at: clock.now(),
      keepMs: DISCONNECT_KEEP_MS,
    });
    audit({ level: "info", event: "user.disconnected", user, connections: count });
    return { count, sent };
  }

  /** `revoke` here, then on every hub; `sent` says whether the other hubs will apply it. */
  function revokeHere(target: { user: string; session?: string }) {
    const { user, session } = target;
    const at = clock.now();
    const keepMs = Number.isFinite(revocationKeepMs) ? { keepMs: revocationKeepMs } : {};
    if (session !== undefined) {
      revocations.revokeSession(user, session, { at });
      const count = users.disconnectSession(user, session, "Session ended");
      const { sent } = controlConfirmed({ type: "revoke", user, at, session, ...keepMs });
      audit({ level: "info", event: "session.revoked", user, connections: count });
      return { count, sent };
    }
    revocations.revoke(user, { at });
    const count = users.disconnect(user, "Access revoked");
    const { sent } = controlConfirmed({ type: "revoke", user, at, ...keepMs });
    audit({ level: "warn", event: "revoked", user, connections: count });
    return { count, sent };
  }

  function sendTo(
    userList: readonly string[],
    event: string | undefined,
    payload: unknown,
  ): number {
    const data = JSON.stringify(payload) ?? "null";
    return userList.length === 1 && event !== undefined
      ? control({ type: "send_to_user", user: userList[0], event, data })
      : control(
        event === undefined
          ? { type: "broadcast_users", users: userList, data }
          : { type: "broadcast_users", users: userList, event, data },
      );
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
    if (input.sign !== undefined && input.topic === undefined) {
      throw new TypeError("Cannot broadcast signed without 'topic': only publications are signed");
    }
    if (
      input.idempotencyKey !== undefined && (input.topic === undefined || input.users !== undefined)
    ) {
      throw new TypeError(
        "Cannot broadcast with 'idempotencyKey' but no 'topic' or with 'users': direct sends are not remembered",
      );
    }
    if (input.topic !== undefined) {
      await publish(input.topic, input.payload, {
        event: input.event,
        sign: input.sign,
        idempotencyKey: input.idempotencyKey,
      });
      return input.users === undefined ? 0 : sendTo(input.users, input.event, input.payload);
    }
    // To everyone: every hub's own users (a per-process list), so local only.
    return input.users === undefined
      ? users.sendToAll(input.event, input.payload)
      : sendTo(input.users, input.event, input.payload);
  }

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

  const announcer = createNodeAnnouncer(options.node ?? {}, {
    // A hub on its own in-memory engine is alone: nothing to announce to.
    engine: ownsEngine ? undefined : engine,
    clock,
    log,
    describe() {
      const { uptimeSeconds, connections, users, topics, subscriptions, ...rest } = stats();
      const health = (engine as { health?: () => { ok: boolean } }).health;
      return {
        startedAt: createdAt,
        uptimeSeconds,
        connections,
        users,
        topics,
        subscriptions,
        messagesInPerSecond: rest.messagesInPerSecond,
        messagesOutPerSecond: rest.messagesOutPerSecond,
        engineOk: typeof health === "function" ? health.call(engine).ok : true,
      };
    },
  });

  const asks = createClusterAsks({
    nodeId: announcer.id,
    clock,
    answerTimeoutMs: announcer.answerTimeoutMs,
    list: () => announcer.list(),
    send: (command) => engine.control(command),
  });
  const { view: cluster, control: clusterControl } = createClusterView({
    nodeId: announcer.id,
    asks,
    send: (command) => engine.control(command),
    sendToUsers: (list, event, data) => users.send(list, event, JSON.parse(data)),
    disconnectUser(user, reason) {
      const count = users.disconnect(user, reason);
      audit({ level: "info", event: "user.disconnected", user, connections: count });
      return count;
    },
    disconnectConnection,
    revoke({ user, session }, at) {
      if (session !== undefined) {
        revocations.revokeSession(user, session, { at });
        const count = users.disconnectSession(user, session, "Session ended");
        audit({ level: "info", event: "session.revoked", user, connections: count });
        return count;
      }
      revocations.revoke(user, { at });
      const count = users.disconnect(user, "Access revoked");
      audit({ level: "warn", event: "revoked", user, connections: count });
      return count;
    },
    revocationKeepMs,
    now: () => clock.now(),
    userStatus: (user) => users.status(user),
    subscriberCount: (topic) => registry.count(topic),
    stats,
    listConnections: (query) => listConnections(connections, query),
    failed(what, error) {
      log({
        level: "warn",
        event: "cluster.answer_failed",
        what,
        error: error instanceof Error ? error.name : typeof error,
      });
    },
  });
  const stopControl = engine.onControl(applyControl);

  async function close(closeOptions: { deadlineMs?: number } = {}): Promise<void> {
    if (closing) return;
    closing = true;
    asks.close();
    await announcer.close();
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
    flushQueue.close();
    deadlines.close();
    stopControl();
    await fanout.close();
    if (ownsEngine) await engine.close();
  }

  const upgrade = (req: Request, info?: ConnInfo) =>
    runtime.upgrade({ admit, connect, limits, malformedUpgrade }, req, info);

  const auth = options.auth;
  const first = (value: string | string[] | undefined) => Array.isArray(value) ? value[0] : value;
  const warm = () =>
    warmUp({
      verifier,
      secret: auth?.secret,
      issuer: first(auth?.issuer),
      audience: first(auth?.audience),
      acl: permissions.acl,
      limits,
    });

  return {
    upgrade,
    handler: upgrade,
    admit,
    connect,
    sse,
    httpPublish,
    malformedUpgrade,
    warmUp: warm,
    publish,
    broadcast,
    sendToUser: (user, event, payload) => sendTo([user], event, payload),
    history: (topic, query = {}) => engine.history(topic, { limit: 100, ...query }),
    presence: (topic) => engine.presence(topic),
    presenceStats: (topic) => engine.presenceStats(topic),
    engine,
    isUserConnected: (user) => users.has(user),
    userStatus: (user) => users.status(user),
    disconnectUser: (user, reason) => disconnectHere(user, reason).count,
    async disconnectUserEverywhere(user, reason) {
      const { count, sent } = disconnectHere(user, reason);
      await sent;
      return count;
    },
    revoke: (target) => revokeHere(target).count,
    async revokeEverywhere(target) {
      const { count, sent } = revokeHere(target);
      await sent;
      return count;
    },
    isRevoked: revocations.isRevoked,
    rpc(method, handler) {
      const prefix = typeof method === "string" && method.endsWith("*")
        ? method.slice(0, -1)
        : undefined;
      if (
        typeof method !== "string" ||
        !(prefix === undefined
          ? RPC_METHOD_NAME.test(method)
          : /^[A-Za-z0-9_.:/-]{0,127}$/.test(prefix))
      ) {
        throw new TypeError(
          `Cannot register RPC method '${
            String(method).slice(0, 32)
          }': use 1 to 128 of letters, digits and '_.:/-'`,
        );
      }
      if (typeof handler !== "function") {
        throw new TypeError(
          `Cannot register RPC method '${method}': the handler is not a function`,
        );
      }
      if (rpcMethods.has(method)) {
        throw new TypeError(`Cannot register RPC method '${method}': it is registered already`);
      }
      rpcMethods.set(method, handler);
      if (prefix !== undefined) {
        rpcPrefixes.push([prefix, handler]);
        rpcPrefixes.sort((a, b) => b[0].length - a[0].length);
      }
    },
    updateRules: (rules) => rulesUpdates.update(rules),
    subscriberCount: (topic) => registry.count(topic),
    stats,
    nodeId: announcer.id,
    nodes: () => announcer.list(),
    cluster,
    listConnections: (query) => listConnections(connections, query),
    listTopics: (query) => listTopics(registry.keys(), registry.count, query),
    get rules() {
      return permissions.acl.rules;
    },
    explain(claims, action, target) {
      const sub = typeof claims.sub === "string" ? claims.sub : "";
      const roles = readRoles(claims, options.auth?.rolesClaim ?? "roles");
      return permissions.acl.decide({ sub, roles, claims, expiresAt: null }, action, target);
    },
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
