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
 * - `idle`: created with `autoConnect: false` and not yet told to
 *   {@linkcode RealtimeClient.connect}; nothing was opened.
 * - `connecting`: the first connection (or one after `reconnect()`) is being made.
 * - `open`: authenticated; requests go straight out.
 * - `reconnecting`: the connection dropped and the client is waiting out a
 *   back-off or trying again; publishes queue.
 * - `closed`: for good, after `close()` or an error no retry can fix
 *   ({@linkcode RealtimeClient.error} says which).
 */
export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

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

/**
 * A way to reach the hub: a WebSocket, or Server-Sent Events with requests
 * posted to the stream (`docs/protocol.md`, "Requests on a stream") where a
 * WebSocket cannot be opened.
 */
export type ClientTransport = "websocket" | "sse";

/** The `WebSocket` constructor the client uses: the global one unless given. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

/**
 * One hub URL, or several hubs of one audience (hub processes sharing one
 * Redis) to fail over between, in the order they are tried.
 */
export type HubUrls = string | URL | readonly (string | URL)[];

/** Options of the {@linkcode RealtimeClient} constructor. */
export interface RealtimeClientOptions {
  /**
   * The hub's WebSocket URL, such as `wss://example.com/ws` (`http:` and
   * `https:` are read as `ws:` and `wss:`), or a list of the URLs of hubs
   * that share one audience through the Redis engine.
   *
   * With a list the client connects to the first URL and stays on a hub
   * while it works. When an attempt fails or an open connection is lost,
   * the next attempt goes to the next URL (after the last, the first
   * again), after the usual back-off with full jitter, so the clients of a
   * hub that died spread out in time over the others. A token refused with
   * 4001 is renewed and tried on the same hub. After the move the client
   * resubscribes with each topic's position, and the new hub replays what
   * was missed ({@linkcode RealtimeClient.url} and the `state` event's `url`
   * say where the client is). To spread clients over the hubs, give each
   * client the list in its own order.
   *
   * @example Fail over to the next hub
   * ```ts
   * import { RealtimeClient } from "@realtime/hub/client";
   * import { createHub } from "@realtime/hub";
   * import { serve } from "@realtime/hub/server";
   * import { mintToken } from "@realtime/hub/auth";
   * import assert from "node:assert/strict";
   *
   * const secret = "a-development-secret-of-32-bytes!!";
   * const hub = createHub({ auth: { secret }, log: () => {} });
   * const server = await serve(hub, { port: 0 });
   * const token = await mintToken({ sub: "alice" }, { secret });
   * // A port nothing listens on stands for a hub that is down.
   * const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
   * const down = `ws://127.0.0.1:${probe.addr.port}/ws`;
   * probe.close();
   * const up = `ws://127.0.0.1:${server.port}/ws`;
   *
   * await using rt = new RealtimeClient({ url: [down, up], token, backoff: { baseMs: 50 } });
   * const moved = Promise.withResolvers<string | undefined>();
   * rt.on("state", (state, { url }) => state === "reconnecting" && moved.resolve(url));
   * assert.equal(await moved.promise, up); // the next attempt goes to the next hub
   * await rt.opened();
   * assert.equal(rt.url, up);
   *
   * await rt.close();
   * await hub.close();
   * await server.close();
   * ```
   */
  url: HubUrls;
  /**
   * A token to connect with. With `getToken` too, it is used first and
   * `getToken` supplies the next ones.
   */
  token?: string;
  /**
   * Fetches a fresh token: called when there is no token yet, when the
   * token is about to expire (`token_expiring`), when the cached token has
   * expired before a reconnect, and once after the server closed with 4001.
   * Whatever it throws makes the client back off and ask again (the token
   * service unreachable or busy, the browser offline: a `fetch` that fails
   * throws a `TypeError`), except a {@linkcode RealtimeError} with
   * `retry: false` (signed out): the client then closes with that error,
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
   * closes with code `CLOSED`, counted over every URL of the list.
   *
   * @default {Infinity}
   */
  maxReconnectAttempts?: number;
  /**
   * Whether the constructor starts connecting. With `false` the client is
   * created `idle`: it opens no socket, starts no timer and adds no global
   * listener until {@linkcode RealtimeClient.connect} is called, so it can
   * be created while rendering (React, server rendering) and connected on
   * mount. Subscribing and publishing before that is allowed: subscriptions
   * are sent and publishes leave (within their timeouts) once connected.
   * A runtime without a global `WebSocket` is then reported by `connect()`
   * rather than the constructor. Any value but `false` connects at once.
   *
   * @default {true}
   */
  autoConnect?: boolean;
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
  /**
   * The transports to use, in order: the client starts with the first, and
   * moves to the next for good when a WebSocket fails to open (it is lost
   * before the hub's `welcome` without a close frame, or connecting takes
   * longer than `connectTimeoutMs`).
   * `["websocket", "sse"]` falls back to Server-Sent Events; `["sse"]`
   * never tries a WebSocket. The API is the same on both;
   * {@linkcode RealtimeClient.transport} says which is in use. Over SSE
   * the token goes in an `Authorization` header (`tokenVia` is not read),
   * so a page on another origin than the hub's needs its origin in the
   * hub's `allowedOrigins`, which answers CORS for it.
   *
   * @default {["websocket"]}
   */
  transports?: readonly ClientTransport[];
  /**
   * The hub's SSE door, for the `"sse"` transport.
   *
   * @default {the hub URL's origin, as http: or https:, with the path /sse}
   */
  sseUrl?: string | URL;
  /**
   * Whether the `"sse"` transport sends the cookies of the hub's site with
   * its stream and its posts when the hub is on another origin than the
   * page (`fetch` with `credentials: "include"`, as `EventSource`'s
   * `withCredentials`), as a WebSocket always does: for a hub whose
   * `authenticate` hook, or whose load balancer's sticky sessions, read a
   * cookie. The token still goes in the `Authorization` header. The hub
   * allows it for the origins in its `allowedOrigins`.
   *
   * @default {false}
   */
  sseWithCredentials?: boolean;
}
