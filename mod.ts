/**
 * `@realtime/hub`: an authenticated realtime pub/sub hub for `Deno.serve`.
 *
 * Every connection is authenticated with a JWT verified on Web Crypto (via
 * `jose`), taken from a subprotocol, an `Authorization` header, a query
 * parameter, a cookie or a first `auth` message. Every subscribe and publish
 * is decided by a topic ACL engine (patterns, templates such as
 * `user:{sub}`, token capabilities, deny-wins, a pluggable `authorize`).
 * The wire protocol is documented in `docs/protocol.md`.
 *
 * This root export is the hub, its options and types, and the errors.
 * Everything else has its own path: `@realtime/hub/server` (serve, start,
 * config, the adapters), `/client`, `/cli`, `/admin` (admin API, metrics),
 * `/console` (the operator console), `/acl`, `/auth`, `/accounts` (sign-up,
 * login, refresh tokens, the SQLite store), `/accounts/postgres` (the
 * PostgreSQL store), `/protocol`, `/engine`, `/redis` (the Redis engine for
 * several hubs), `/react` (React bindings), `/signing` and `/testing`.
 * Importing this root loads neither npm `ws` nor `@hono/node-server`.
 *
 * @example Serve a hub
 * ```ts ignore
 * import { createHub } from "@realtime/hub";
 *
 * const hub = createHub({
 *   auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! },
 *   acl: { rules: [{ effect: "allow", actions: ["subscribe", "publish"], topics: ["chat:*"] }] },
 * });
 * Deno.serve((req, info) => new URL(req.url).pathname === "/ws" ? hub.upgrade(req, info) : new Response("hi"));
 * ```
 *
 * @module
 */

// The hub
export { createHub } from "./src/server/create_hub.ts";
export { type ClientAddress, createClientAddress } from "./src/hub/client_address.ts";
export type { BroadcastInput, Hub, HubStats, PublishOptions, UserStatus } from "./src/hub/hub.ts";
export type { NodeInfo, NodeList, NodeOptions } from "./src/hub/nodes.ts";
export type { ClusterAnswer, ClusterView } from "./src/hub/cluster.ts";
export type {
  Accepted,
  Admission,
  ConnInfo,
  HubSocket,
  MalformedUpgrade,
  Peer,
  PeerAddr,
  Refused,
  SocketHandler,
  UpgradeRequest,
} from "./src/hub/transport.ts";
export type { RequestView } from "./src/auth/extract.ts";
export type {
  ConnectionInfo,
  ConnectionPage,
  ListQuery,
  TopicInfo,
  TopicPage,
} from "./src/hub/inspect.ts";
export type { Verdict } from "./src/hub/permissions.ts";
export {
  type AppHandlers,
  type ConnectResult,
  DEFAULT_HANDLER_LIMITS,
  type DisconnectNotice,
  type HandlerConnection,
  type HandlerContext,
  type HandlerLimits,
  type PublishRequest,
  type PublishResult,
  type RefreshResult,
  type RpcHandler,
  type RpcRequest,
  type SubscribeRequest,
  type SubscribeResult,
} from "./src/hub/handlers.ts";
export type {
  ConnectEvent,
  DisconnectEvent,
  HubEvent,
  HubEventSink,
  PresenceChangeEvent,
  PublicationEvent,
} from "./src/hub/hub_events.ts";
export type { Histogram, HubMetrics, LabeledCounter } from "./src/hub/metrics.ts";

// Options and their parts
export {
  type AuthenticateHook,
  type AuthorizeHook,
  DEFAULT_LIMITS,
  type HubLimits,
  type HubOptions,
  PLAIN_HUB_OPTION_KEYS,
  type PlainHubOptions,
  plainHubOptions,
  type TokenSourceOptions,
  type TrustProxyOptions,
} from "./src/hub/options.ts";
export type { StompOptions } from "./src/hub/stomp_options.ts";
export type { SseOptions } from "./src/hub/sse_endpoint.ts";
export type { StompDestinationRule } from "./src/protocol/stomp/destination.ts";
export { PublishError, type PublishErrorCode } from "./src/hub/publish_error.ts";
export type { Engine, StreamPosition } from "./src/engine/engine.ts";
export { createMemoryEngine, type MemoryEngineOptions } from "./src/engine/memory_engine.ts";
export type { HistoryRule } from "./src/engine/history_policy.ts";
export { type Clock, systemClock, type TimerHandle } from "./src/hub/clock.ts";
export { type LogEntry, logToStderr } from "./src/hub/log.ts";
export type { AclAction, AclCondition, AclOptions, AclRule, AclSigning } from "./src/acl/rules.ts";
export type { Principal } from "./src/auth/principal.ts";

// Errors and codes
export { AuthError, type AuthErrorCode, type AuthFailureReason } from "./src/auth/errors.ts";
export { CloseCode, ERROR_CODES, type ErrorCode } from "./src/protocol/codes.ts";
export { RETRYABLE } from "./src/protocol/retryable.ts";
export { HubError, type HubErrorOptions } from "./src/protocol/errors.ts";
