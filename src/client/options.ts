/**
 * Options of {@linkcode RealtimeClient} and the types they use.
 *
 * @module
 */

import type { BackoffOptions } from "./backoff.ts";

/**
 * How the client hands its token to the hub:
 *
 * - `"subprotocol"`: `new WebSocket(url, ["realtime.v1", "auth", token])`;
 *   works everywhere and keeps the token out of URLs and logs.
 * - `"query"`: `?token=` on the URL; tokens in URLs end up in access logs.
 * - `"message"`: connect with `["realtime.v1"]`, then send an `auth` frame.
 * - `"header"`: `Authorization: Bearer`; only where `new WebSocket(url,
 *   { headers })` works (Deno), not in browsers.
 */
export type TokenVia = "subprotocol" | "query" | "message" | "header";

/**
 * The connection state:
 *
 * - `connecting`: the first connection (or one after `reconnect()`) is being made.
 * - `open`: authenticated; requests go straight out.
 * - `reconnecting`: the connection dropped and the client is waiting out a
 *   back-off or trying again; publishes queue.
 * - `closed`: for good, after `close()` or an error no retry can fix
 *   ({@linkcode RealtimeClient.error} says which).
 */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/**
 * Time and timers, injectable so tests need no sleeps. It has the same shape
 * as the hub's `Clock`.
 */
export interface ClientClock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): unknown;
  /** Cancels a timer; a no-op for a timer that already ran. */
  clearTimer(handle: unknown): void;
}

/** The `WebSocket` constructor the client uses: the global one unless given. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

/** Options of the {@linkcode RealtimeClient} constructor. */
export interface RealtimeClientOptions {
  /** The hub's WebSocket URL, such as `wss://example.com/ws`. */
  url: string | URL;
  /**
   * A token to connect with. With `getToken` too, it is used first and
   * `getToken` supplies the next ones.
   */
  token?: string;
  /**
   * Fetches a fresh token: called when there is no token yet, when the
   * token is about to expire (`token_expiring`), when the cached token has
   * expired before a reconnect, and once after the server closed with 4001.
   * It may throw a {@linkcode RealtimeError}: with `retry: true` (the token
   * service is unreachable or busy) the client backs off and asks again;
   * with `retry: false` (signed out) the client closes with that error,
   * also when the refusal comes during a refresh on a live connection.
   * {@linkcode AccountsSession.getToken} is one for the hub's accounts.
   */
  getToken?: () => Promise<string> | string;
  /**
   * How the token travels; see {@linkcode TokenVia}.
   *
   * @default {"subprotocol"}
   */
  tokenVia?: TokenVia;
  /**
   * The reconnect back-off: full jitter in `[0, min(maxMs, baseMs * 2^attempt))`.
   *
   * @default {{ baseMs: 500, maxMs: 30000 }}
   */
  backoff?: BackoffOptions;
  /**
   * Consecutive failed reconnect attempts before the client gives up and
   * closes with code `CLOSED`.
   *
   * @default {Infinity}
   */
  maxReconnectAttempts?: number;
  /**
   * How long a request (publish, subscribe, refresh, ping) may wait for its
   * answer, counted from the call, including time queued while reconnecting.
   *
   * @default {10000}
   */
  requestTimeoutMs?: number;
  /**
   * How long opening a connection and receiving `welcome` may take.
   *
   * @default {10000}
   */
  connectTimeoutMs?: number;
  /**
   * Interval of `ping` frames on an idle open connection, to notice a dead
   * network; a ping unanswered within `requestTimeoutMs` drops the
   * connection. `0` turns heartbeats off.
   *
   * @default {25000}
   */
  heartbeatMs?: number;
  /**
   * Most publishes waiting while the client is not open; more fail at once
   * with `QUEUE_FULL`.
   *
   * @default {100}
   */
  maxQueued?: number;
  /**
   * Time and timers.
   *
   * @default {Date.now, setTimeout and clearTimeout}
   */
  clock?: ClientClock;
  /**
   * Random numbers in `[0, 1)` for the back-off jitter.
   *
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * The `WebSocket` constructor, for runtimes without a global one.
   *
   * @default {globalThis.WebSocket}
   */
  WebSocket?: WebSocketConstructor;
}
