// Validation of client options, once, at construction.

import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import type {
  ClientClock,
  ClientTransport,
  HubUrls,
  RealtimeClientOptions,
  TokenVia,
  WebSocketConstructor,
} from "./options.ts";

export interface ResolvedOptions {
  /** At least one, in the order they are tried. */
  urls: readonly URL[];
  token: string | undefined;
  getToken: (() => Promise<string> | string) | undefined;
  tokenVia: TokenVia;
  backoff: Required<BackoffOptions>;
  maxReconnectAttempts: number;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  heartbeatMs: number;
  maxQueued: number;
  /** With `false`, `WebSocket` may be missing: `connect()` reports it. */
  autoConnect: boolean;
  clock: ClientClock;
  random: () => number;
  WebSocket: WebSocketConstructor;
  transports: readonly ClientTransport[];
  sseUrl: URL | undefined;
  /** Whether SSE requests carry the hub site's cookies across origins. */
  sseWithCredentials: boolean;
}

const TOKEN_VIAS: readonly TokenVia[] = ["subprotocol", "query", "message", "header"];

export const systemClock: ClientClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1)),
  clearTimer: (handle) => clearTimeout(handle as number),
};

export function resolveOptions(options: RealtimeClientOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot create RealtimeClient: expected an options object, got ${options}`);
  }
  const urls = parseUrls(options.url);
  const { token, getToken } = options;
  if (token === undefined && getToken === undefined) {
    throw new TypeError("Cannot create RealtimeClient without 'token' or 'getToken'");
  }
  if (token !== undefined && (typeof token !== "string" || token === "")) {
    throw new TypeError(
      `Cannot use 'token' of type ${typeof token}: a non-empty string is required`,
    );
  }
  if (getToken !== undefined && typeof getToken !== "function") {
    throw new TypeError(`Cannot use 'getToken' of type ${typeof getToken}: a function is required`);
  }
  const tokenVia = options.tokenVia ?? "subprotocol";
  if (!TOKEN_VIAS.includes(tokenVia)) {
    throw new TypeError(
      `Cannot send the token via '${tokenVia}': use one of ${
        TOKEN_VIAS.map((v) => `"${v}"`).join(", ")
      }`,
    );
  }
  const backoff = {
    baseMs: options.backoff?.baseMs ?? 500,
    maxMs: options.backoff?.maxMs ?? 30_000,
  };
  backoffDelay(0, backoff, () => 0); // throws a RangeError naming bad bounds
  const autoConnect = options.autoConnect !== false;
  const WebSocket = options.WebSocket ?? globalThis.WebSocket;
  if (autoConnect && typeof WebSocket !== "function") {
    throw new TypeError(
      "Cannot create RealtimeClient: this runtime has no global WebSocket; pass the 'WebSocket' option",
    );
  }
  const transports = options.transports ?? ["websocket"];
  if (
    !Array.isArray(transports) || transports.length === 0 ||
    transports.some((t, i) => (t !== "websocket" && t !== "sse") || transports.indexOf(t) !== i)
  ) {
    throw new TypeError(`Cannot use transports ${JSON.stringify(transports)}`);
  }
  // An unparsable URL throws its TypeError here.
  const sseUrl = options.sseUrl === undefined ? undefined : new URL(options.sseUrl);
  return {
    transports,
    sseUrl,
    // Anything but true leaves cookies to the fetch default, the safe side.
    sseWithCredentials: options.sseWithCredentials === true,
    urls,
    token,
    getToken,
    tokenVia,
    backoff,
    maxReconnectAttempts: count("maxReconnectAttempts", options.maxReconnectAttempts, Infinity, 0),
    requestTimeoutMs: count("requestTimeoutMs", options.requestTimeoutMs, 10_000, 1),
    connectTimeoutMs: count("connectTimeoutMs", options.connectTimeoutMs, 10_000, 1),
    heartbeatMs: count("heartbeatMs", options.heartbeatMs, 25_000, 0),
    maxQueued: count("maxQueued", options.maxQueued, 100, 0),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    WebSocket,
    autoConnect,
  };
}

function parseUrls(value: HubUrls): URL[] {
  if (!Array.isArray(value)) return [parseUrl(value as string | URL)];
  if (value.length === 0) {
    throw new TypeError("Cannot create RealtimeClient with an empty 'url' list: give at least one");
  }
  return value.map(parseUrl);
}

function parseUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`Cannot connect to '${value}': it is not an absolute URL`);
  }
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new TypeError(
      `Cannot connect to a '${url.protocol}' URL: use ws:, wss:, http: or https:`,
    );
  }
  return url;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < min) {
    throw new RangeError(`Cannot use '${name}' ${value}: a number >= ${min} is required`);
  }
  return value;
}
