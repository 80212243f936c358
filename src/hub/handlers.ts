/**
 * In-process application handlers: the application's say in a session's
 * requests (connect, subscribe, publish, disconnect) and its answers to RPC.
 * A handler refuses with a code the client sees by throwing a
 * {@linkcode HubError}; anything else it throws is answered `INTERNAL`
 * (`retry: true`) and logged; one that runs past its time limit is answered
 * `TIMEOUT` (`retry: true`). A handler that answers synchronously (a value,
 * not a promise) is acted on at once. Calls are bounded per connection and
 * per hub, and counted (`realtime_handler_calls_total`, `..._errors_total`,
 * `..._seconds`).
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";

/** The connection a handler is called for. */
export interface HandlerConnection {
  /** The server's id of the connection. */
  readonly id: string;
  /** The client's IP address, when the adapter said. */
  readonly remoteAddr?: string;
  /** The transport adapter (`ws`, `deno`), when it said. */
  readonly transport?: string;
}

/** What every handler is given. */
export interface HandlerContext {
  /** Who the client is. */
  readonly principal: Principal;
  /** The connection. */
  readonly connection: HandlerConnection;
  /**
   * Aborted when the connection closes or the call's time limit passes while
   * the call runs. Made when first read (a handler that never reads it costs
   * no `AbortController`); read after the close or the time-out, it is
   * already aborted.
   */
  readonly signal: AbortSignal;
}

/** What a `connect` handler may add to a connection it admits. */
export interface ConnectResult {
  /**
   * Concrete topics the connection is subscribed to by the server, without
   * asking and without an ACL check (the user's own inbox, say): their
   * publications arrive as `message` frames like any other.
   */
  subscriptions?: string[];
}

/** A `subscribe` handler's request. */
export interface SubscribeRequest extends HandlerContext {
  /** The topic or pattern asked for (the ACL allowed it). */
  readonly topic: string;
}

/** What a `subscribe` handler may return. */
export interface SubscribeResult {
  /** Initial data (any JSON value), sent as `data` in the subscribe's `ack`. */
  data?: unknown;
}

/** A `publish` handler's request. */
export interface PublishRequest extends HandlerContext {
  /** The concrete topic (the ACL allowed it). */
  readonly topic: string;
  /** The payload as published (a signed one's verified payload). */
  readonly payload: unknown;
  /** Whether it is a signed publication, which may be refused but never altered. */
  readonly signed: boolean;
}

/** What a `publish` handler may return: the payload to publish instead. */
export interface PublishResult {
  /** The payload subscribers and history receive (moderated, enriched, given ids). */
  payload: unknown;
}

/** A `disconnect` handler's notice. */
export interface DisconnectNotice {
  /** Who the client was. */
  readonly principal: Principal;
  /** The connection. */
  readonly connection: HandlerConnection;
  /** The close code, when there was one. */
  readonly code: number | undefined;
}

/**
 * What a `refresh` handler answers: the connection's credentials now last
 * until `expiresAt` (epoch ms, or `null` for no expiry).
 */
export interface RefreshResult {
  /** The new expiry, epoch ms, or `null` when it no longer expires. */
  expiresAt: number | null;
}

/** An RPC handler's request. */
export interface RpcRequest extends HandlerContext {
  /** The method called. */
  readonly method: string;
  /** The data sent with it (`null` when none). */
  readonly data: unknown;
}

/**
 * Answers a client's `rpc`: the value it returns (any JSON value) is the
 * reply's `data`; a thrown {@linkcode HubError} is the client's error.
 */
export type RpcHandler = (request: RpcRequest) => unknown;

/** The application's handlers, each optional. */
export interface AppHandlers {
  /**
   * A client authenticated: admit it (return nothing), refuse it (throw a
   * `HubError`: the client gets an `error` frame with the code, then a close
   * with 4001, or 4008 for a retryable code), or enrich it.
   */
  connect?(context: HandlerContext): ConnectResult | void | Promise<ConnectResult | void>;
  /**
   * A subscribe the ACL allowed: allow it (return nothing, or `{ data }` to
   * send initial data in the reply) or refuse it (throw a `HubError`).
   */
  subscribe?(request: SubscribeRequest): SubscribeResult | void | Promise<SubscribeResult | void>;
  /**
   * A publish the ACL allowed: allow it (return nothing), refuse it (throw a
   * `HubError`; the connection stays), or replace its payload before fan-out
   * and history (return `{ payload }`). A signed publication is never
   * altered: replacing its payload refuses it with `FORBIDDEN`.
   */
  publish?(request: PublishRequest): PublishResult | void | Promise<PublishResult | void>;
  /**
   * A connection's credentials are about to expire (when `token_expiring`
   * would be sent): extend them (return `{ expiresAt }`), end the
   * connection (throw a `HubError`: the client gets `TOKEN_EXPIRED` and a
   * 4001 close), or leave it to the client (return nothing: it gets
   * `token_expiring` and refreshes with a token, as without the handler).
   * For sessions admitted without a token, such as by a connect proxy. A
   * call that fails or times out is tried again at half the time left, and
   * the connection closes at its expiry if none succeeds.
   */
  refresh?(context: HandlerContext): RefreshResult | void | Promise<RefreshResult | void>;
  /** An authenticated connection closed. What it throws is logged. */
  disconnect?(notice: DisconnectNotice): void | Promise<void>;
}

/** Bounds of handler calls. */
export interface HandlerLimits {
  /**
   * Time limit of one call, in ms, waiting for a free slot included: past
   * it, the client gets `TIMEOUT` and the call's signal is aborted.
   *
   * @default {5000}
   */
  timeoutMs: number;
  /**
   * Most calls running at once on the hub; more wait their turn (within
   * their time limit).
   *
   * @default {256}
   */
  maxConcurrent: number;
  /**
   * Most calls running at once for one connection; more are answered
   * `RATE_LIMITED`.
   *
   * @default {8}
   */
  maxConcurrentPerConnection: number;
}

/** The default {@linkcode HandlerLimits}. */
export const DEFAULT_HANDLER_LIMITS: Readonly<HandlerLimits> = {
  timeoutMs: 5000,
  maxConcurrent: 256,
  maxConcurrentPerConnection: 8,
};
