/**
 * Options of {@linkcode createHub}, their defaults, and their validation.
 *
 * @module
 */

import type { SseOptions } from "./sse_endpoint.ts";
import type { StompOptions } from "./stomp_options.ts";
import type { AppHandlers, HandlerLimits } from "./handlers.ts";
import type { HubEventSink } from "./hub_events.ts";
import type { AclAction, AclOptions } from "../acl/rules.ts";
import type { Principal } from "../auth/principal.ts";
import type { JwtOptions, TokenVerifier } from "../auth/verify.ts";
import type { Engine } from "../engine/engine.ts";
import type { HistoryRule } from "../engine/history_policy.ts";
import type { Clock } from "./clock.ts";
import type { LogEntry } from "./log.ts";
import type { NodeOptions } from "./nodes.ts";
import { DEFAULT_FRAME_LIMITS } from "../protocol/parse.ts";

/**
 * Decides a permission the rules and token capabilities do not settle:
 * `true` allows, `false` denies, `undefined` defers to the rules. It is not
 * consulted when a deny rule matched. Results are cached per connection.
 * Throwing a `HubError` refuses with its code and message (not cached);
 * throwing anything else refuses with `INTERNAL` and a generic message, the
 * error's detail going to the log only.
 */
export type AuthorizeHook = (
  principal: Principal,
  action: AclAction,
  topic: string,
) => boolean | undefined | Promise<boolean | undefined>;

/**
 * Replaces (or precedes) token authentication: look the request up in your
 * own session store. Return `undefined` to fall back to token sources.
 *
 * When it reads cookies, also set `allowedOrigins`: browsers attach cookies
 * to cross-site WebSocket upgrades, so without an `Origin` allowlist any
 * site could open a connection as your user (cross-site WebSocket hijacking).
 */
export type AuthenticateHook = (
  req: Request,
) => Principal | undefined | Promise<Principal | undefined>;

/** Where the hub looks for a token, each switchable. */
export interface TokenSourceOptions {
  /**
   * Read the token from the `Sec-WebSocket-Protocol` list (`["realtime.v1", "auth", jwt]`).
   *
   * @default {true}
   */
  subprotocol?: boolean;
  /**
   * Read `Authorization: Bearer <jwt>`.
   *
   * @default {true}
   */
  header?: boolean;
  /**
   * Query parameter name, or `false` to disable.
   *
   * @default {"token"}
   */
  query?: string | false;
  /**
   * Cookie name, or `false` to disable. Requires `allowedOrigins`.
   *
   * @default {false}
   */
  cookie?: string | false;
  /**
   * Accept upgrades without a token and wait for an `auth` frame.
   *
   * @default {true}
   */
  firstMessage?: boolean;
}

/** Bounds on what one connection may do. */
export interface HubLimits {
  /**
   * Largest accepted frame in bytes.
   *
   * @default {65536}
   */
  maxFrameBytes: number;
  /**
   * Deepest accepted JSON nesting.
   *
   * @default {32}
   */
  maxDepth: number;
  /**
   * Subscriptions per connection.
   *
   * @default {1000}
   */
  maxSubscriptions: number;
  /**
   * Pattern subscriptions (`*` or `**`) per connection, within
   * `maxSubscriptions`. Every publication walks the hub's pattern index, so
   * patterns are bounded more tightly than concrete topics.
   *
   * @default {100}
   */
  maxPatternsPerConnection: number;
  /**
   * Pattern subscriptions of one user (`sub`), across their connections.
   *
   * @default {1000}
   */
  maxPatternsPerUser: number;
  /**
   * Pattern subscriptions on the whole hub, across every connection.
   *
   * @default {100000}
   */
  maxPatternsPerHub: number;
  /**
   * Frames queued behind a pending asynchronous permission check.
   *
   * @default {256}
   */
  maxQueuedFrames: number;
  /**
   * Bytes (UTF-8, as received) of the frames queued behind a pending
   * asynchronous permission check. A frame that would pass it is refused
   * with `RATE_LIMITED`, as one past `maxQueuedFrames` is.
   *
   * @default {1048576}
   */
  maxQueuedBytes: number;
  /**
   * Protocol violations tolerated within `violationWindowMs` before close 4000.
   *
   * @default {50}
   */
  maxViolations: number;
  /**
   * Window for counting protocol violations.
   *
   * @default {60000}
   */
  violationWindowMs: number;
  /**
   * Open connections in all.
   *
   * @default {100000}
   */
  maxConnections: number;
  /**
   * Open connections of one user (`sub`).
   *
   * @default {100}
   */
  maxConnectionsPerUser: number;
  /**
   * New connections per second from one client IP (token bucket refill).
   *
   * @default {20}
   */
  connectRatePerIp: number;
  /**
   * Burst of new connections from one client IP.
   *
   * @default {50}
   */
  connectBurstPerIp: number;
  /**
   * Frames per second one connection may send (token bucket refill).
   *
   * @default {100}
   */
  messageRate: number;
  /**
   * Burst of frames one connection may send.
   *
   * @default {200}
   */
  messageBurst: number;
  /**
   * Consecutive rate-limited frames before the connection is closed with 4008.
   *
   * @default {50}
   */
  maxRateLimitStrikes: number;
  /**
   * Bytes queued on a socket before it counts as a slow consumer and is
   * closed with 4008: UTF-8 bytes of the frames waiting to be written plus
   * what the socket still holds. A frame of `n` UTF-16 units counts `n` to
   * `3n` bytes; frames are measured exactly only when the outbox is within a
   * factor of three of the limit, so the common case costs nothing.
   *
   * @default {4194304}
   */
  maxBufferedBytes: number;
  /**
   * Heartbeat interval: a peer that does not answer a ping within it is
   * dropped (so a dead peer goes within two intervals).
   *
   * @default {25000}
   */
  heartbeatMs: number;
}

/** Which peers may name the client's address, and where in `X-Forwarded-For` it is. */
export interface TrustProxyOptions {
  /**
   * Proxies between the client and the hub, each appending the address it
   * received from: the client's address is this many entries from the right
   * of `X-Forwarded-For`.
   *
   * @default {1}
   */
  hops?: number;
  /**
   * Addresses or CIDR networks of the proxy that connects to the hub; a
   * request from any other peer is accounted to that peer, whatever its
   * headers say.
   *
   * @default {["127.0.0.0/8", "::1"]}
   */
  addresses?: string[];
}

/** Options of {@linkcode createHub}. */
export interface HubOptions {
  /** How tokens are verified (secret, public key, JWKS). */
  auth?: JwtOptions;
  /** A ready token verifier, instead of `auth`. */
  verifier?: TokenVerifier;
  /** Application authentication, tried before tokens. */
  authenticate?: AuthenticateHook;
  /** Token sources. */
  tokenSources?: TokenSourceOptions;
  /** The STOMP 1.2 door over WebSocket: destinations, heart-beat, header bounds (`docs/stomp.md`). */
  stomp?: StompOptions;
  /**
   * Deadline for the first-message `auth` frame.
   *
   * @default {5000}
   */
  firstMessageTimeoutMs?: number;
  /**
   * Origins allowed to connect (exact `scheme://host[:port]`). When set, any
   * other `Origin` is refused with 403. Required for cookie tokens. Pages on
   * these origins may also use the HTTP doors (SSE, the requests posted to a
   * stream, HTTP publish) across origins: the hub answers their CORS
   * preflights and echoes their origin with credentials allowed; with no
   * list, no page on another origin may (`docs/protocol.md`, "From a page on
   * another origin").
   */
  allowedOrigins?: string[];
  /**
   * How a failed upgrade is answered: an HTTP 401/403 (`"http"`) or an
   * upgrade closed at once with 4001 (`"close"`), which browsers can observe.
   *
   * @default {"http"}
   */
  reject?: "http" | "close";
  /** Server-side rules and the capability claim. */
  acl?: AclOptions;
  /** Application authorization hook. */
  authorize?: AuthorizeHook;
  /**
   * The application's in-process handlers: connect, subscribe, publish and
   * disconnect (see `docs/handlers.md`). RPC methods are registered with
   * `hub.rpc(method, handler)`.
   */
  handlers?: AppHandlers;
  /** Time limit and concurrency bounds of handler calls (see {@linkcode HandlerLimits}). */
  handlerLimits?: Partial<HandlerLimits>;
  /**
   * Told, synchronously, of every connection welcomed and closed, every
   * presence join and leave, and every publication the engine accepted
   * from this hub (see {@linkcode HubEventSink}); must return at once. What
   * it throws is logged (`events.failed`) and reaches no client. The
   * server's webhooks are one (`docs/webhooks.md`).
   *
   * @default {undefined}
   */
  events?: HubEventSink;
  /** Per-connection decision cache bounds. */
  decisionCache?: { max?: number; ttlMs?: number };
  /** Per-connection limits. */
  limits?: Partial<HubLimits>;
  /**
   * How long before `exp` to send `token_expiring`. For tokens that live
   * less than twice this, it is sent at half their remaining life.
   *
   * @default {60000}
   */
  tokenExpiringLeadMs?: number;
  /**
   * The engine that carries publications, history, presence and operator
   * commands between hub processes. When absent, the hub creates the
   * in-memory engine from `history`, `maxHistoryBytes` and the idempotency
   * bounds and closes it with itself; a given engine is the caller's to close.
   *
   * @default {the in-memory engine (createMemoryEngine), from history and maxHistoryBytes}
   */
  engine?: Engine;
  /**
   * Which topics keep history, by topic pattern, first match wins (see
   * `docs/engine.md`): `[{ pattern: "chat:*", size: 100, ttlMs: 300_000 }]`.
   * Topics no rule matches keep none and pay nothing. With your own
   * `engine`, give it the same rules: the hub reads them to know which
   * subscribe replies carry a position (without them it asks the engine).
   *
   * @default {[]}
   */
  history?: HistoryRule[];
  /**
   * Most bytes (an estimate) the default engine's history holds over all
   * topics; the oldest publications go first.
   *
   * @default {67108864}
   */
  maxHistoryBytes?: number;
  /**
   * How long a publication's idempotency key is remembered, in ms: a
   * publication repeating a key its publisher used on the topic within it
   * is answered with the first one's position and not published again.
   * The default engine's; `startServer` also gives it to the Redis engine
   * unless `engine.redis.idempotencyWindowMs` is set.
   *
   * @default {300000}
   */
  idempotencyWindowMs?: number;
  /**
   * Most idempotency keys remembered per publisher and topic (the oldest
   * is forgotten first). The default engine's; `startServer` also gives it
   * to the Redis engine unless `engine.redis.maxIdempotencyKeys` is set.
   *
   * @default {1000}
   */
  maxIdempotencyKeys?: number;
  /**
   * Most idempotency keys the default engine remembers in all, a bound on
   * their memory (about 250 bytes each): past it the oldest is forgotten,
   * so under a heavier load the window is shorter. The Redis engine keeps
   * keys in Redis, bounded by the two above.
   *
   * @default {100000}
   */
  maxIdempotencyKeysTotal?: number;
  /**
   * Most publications one recovery (`subscribe` with `since`) replays;
   * above it the answer is `recovered: false`, as for a gap.
   *
   * @default {1000}
   */
  maxRecover?: number;
  /**
   * Track who is subscribed to each concrete topic (`presence`,
   * `presence_stats`, `join`/`leave`). Off, presence requests answer
   * `BAD_REQUEST` and subscriptions cost no presence entry.
   *
   * @default {true}
   */
  presence?: boolean;
  /**
   * The token claim whose value is a connection's presence info (any JSON
   * value, at most 1024 bytes encoded; a larger one is left out).
   *
   * @default {"info"}
   */
  presenceInfoClaim?: string;
  /**
   * The SSE door's `retry:` and the query parameter of a last event id
   * (`docs/protocol.md`, "Server-Sent Events"); where it is mounted is the
   * server's (`ServeOptions.ssePath`).
   *
   * @default {{ retryMs: 2000, lastEventIdParam: "lastEventId" }}
   */
  sse?: SseOptions;
  /**
   * How long a busy hub holds publications, in milliseconds, so that those
   * of the window leave together: one larger write per connection instead
   * of one per turn of the event loop (fewer `writev` calls per delivery).
   * The hub is busy right after a flush that wrote 64 or more WebSocket
   * messages; replies never wait, and at a light rate nothing does. Frames
   * count against `limits.maxBufferedBytes` as they are queued. 0 disables
   * it. See docs/performance.md, "Coalescing writes".
   *
   * @default {2}
   */
  coalesceMs?: number;
  /** Time source, for tests. */
  clock?: Clock;
  /** Structured log sink; defaults to JSON lines on stderr. */
  log?: (entry: LogEntry) => void;
  /** Connection id source. */
  generateId?: () => string;
  /**
   * Audit sink: one entry per security event (authentication failure,
   * denial, rate limit, revocation, admin action). Defaults to `log`.
   */
  audit?: (entry: LogEntry) => void;
  /**
   * Behind a reverse proxy: account per-IP limits to the address the proxy
   * appended to `X-Forwarded-For`, and only when the socket peer is one of
   * the proxy addresses. `true` means one proxy on loopback
   * (`{ hops: 1, addresses: ["127.0.0.0/8", "::1"] }`). Entries a client
   * wrote itself (those left of the proxies' own) are never used.
   *
   * @default {false}
   */
  trustProxy?: boolean | TrustProxyOptions;
  /**
   * How long a revocation keeps rejecting tokens issued before it, in ms.
   * Dropping it earlier than the longest token lifetime lets a revoked token
   * work again, so by default it is kept for the hub's life, or, when
   * `auth.maxTokenLifetimeSec` bounds every token, for that lifetime plus
   * `auth.clockToleranceSec`.
   *
   * @default {Infinity, or (auth.maxTokenLifetimeSec + auth.clockToleranceSec) * 1000}
   */
  revocationTtlMs?: number;
  /**
   * Let a token-less upgrade in as the anonymous principal (no claims, never
   * token capabilities), which gets only what allow rules with
   * `when: { anonymous: true }` grant: Spring's `permitAll()` for `/topic/**`.
   * See `docs/protocol.md`, "Anonymous connections".
   *
   * @default {false}
   */
  anonymous?: boolean;
  /**
   * This hub in the cluster's node list (`hub.nodes()`, `GET
   * /v1/realtime/nodes`): its id, name, address, and how often it announces
   * itself through the engine and how long an announcement lasts (a hub
   * killed leaves the list within `ttlMs`), and how long cluster-wide admin
   * answers wait for the other hubs (`answerTimeoutMs`). See
   * `docs/scaling.md`.
   *
   * @default {{ announceIntervalMs: 5000, ttlMs: 15000, answerTimeoutMs: 1000 }}
   */
  node?: NodeOptions;
}

/** The default {@linkcode HubLimits}. */
export const DEFAULT_LIMITS: Readonly<HubLimits> = {
  // The parser's bounds, set once in protocol/parse.ts.
  maxFrameBytes: DEFAULT_FRAME_LIMITS.maxFrameBytes,
  maxDepth: DEFAULT_FRAME_LIMITS.maxDepth,
  maxSubscriptions: 1000,
  maxPatternsPerConnection: 100,
  maxPatternsPerUser: 1000,
  maxPatternsPerHub: 100_000,
  maxQueuedFrames: 256,
  maxQueuedBytes: 1024 * 1024,
  maxViolations: 50,
  violationWindowMs: 60_000,
  maxConnections: 100_000,
  maxConnectionsPerUser: 100,
  connectRatePerIp: 20,
  connectBurstPerIp: 50,
  messageRate: 100,
  messageBurst: 200,
  maxRateLimitStrikes: 50,
  maxBufferedBytes: 4 * 1024 * 1024,
  heartbeatMs: 25_000,
};

/**
 * The {@linkcode HubOptions} that are plain data, which a JSON config file
 * can set (`startServer` reads them from it). `auth` leaves out its
 * functions (`now`, `fetch`).
 */
export type PlainHubOptions =
  & Pick<
    HubOptions,
    | "tokenSources"
    | "firstMessageTimeoutMs"
    | "allowedOrigins"
    | "reject"
    | "acl"
    | "decisionCache"
    | "limits"
    | "tokenExpiringLeadMs"
    | "trustProxy"
    | "revocationTtlMs"
    | "anonymous"
    | "history"
    | "maxHistoryBytes"
    | "idempotencyWindowMs"
    | "maxIdempotencyKeys"
    | "maxIdempotencyKeysTotal"
    | "maxRecover"
    | "presence"
    | "presenceInfoClaim"
    | "node"
    | "sse"
    | "stomp"
    | "coalesceMs"
  >
  & { auth?: Omit<JwtOptions, "now" | "fetch"> };

/**
 * Every key of {@linkcode PlainHubOptions}, checked by the compiler both
 * ways: a plain option added to the type and not here fails to compile.
 */
const PLAIN: Record<keyof PlainHubOptions, true> = {
  auth: true,
  tokenSources: true,
  firstMessageTimeoutMs: true,
  allowedOrigins: true,
  reject: true,
  acl: true,
  decisionCache: true,
  limits: true,
  tokenExpiringLeadMs: true,
  trustProxy: true,
  revocationTtlMs: true,
  anonymous: true,
  history: true,
  maxHistoryBytes: true,
  idempotencyWindowMs: true,
  maxIdempotencyKeys: true,
  maxIdempotencyKeysTotal: true,
  maxRecover: true,
  presence: true,
  presenceInfoClaim: true,
  node: true,
  sse: true,
  stomp: true,
  coalesceMs: true,
};

/** The keys of {@linkcode PlainHubOptions}. */
export const PLAIN_HUB_OPTION_KEYS: readonly (keyof PlainHubOptions)[] = Object.keys(
  PLAIN,
) as (keyof PlainHubOptions)[];

/**
 * The plain-data hub options found in a larger object (a server config),
 * leaving out every other key and every key that is absent.
 *
 * @param source An object holding hub options among others.
 * @returns Only its plain hub options.
 *
 * @example Take the hub options out of a server config
 * ```ts
 * import { plainHubOptions } from "@realtime/hub";
 * import assert from "node:assert/strict";
 *
 * const config = { port: 8000, reject: "close" as const, limits: { maxSubscriptions: 10 } };
 * assert.deepEqual(plainHubOptions(config), { reject: "close", limits: { maxSubscriptions: 10 } });
 * ```
 */
export function plainHubOptions(source: PlainHubOptions): PlainHubOptions {
  const picked: Record<string, unknown> = {};
  for (const key of PLAIN_HUB_OPTION_KEYS) {
    if (source[key] !== undefined) picked[key] = source[key];
  }
  return picked as PlainHubOptions;
}
