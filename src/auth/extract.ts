/**
 * Finding the token in a WebSocket upgrade request, choosing the
 * subprotocol to answer, and redacting tokens from URLs before logging.
 *
 * @module
 */

import { SUBPROTOCOL_V1, SUBPROTOCOL_V1_BATCH } from "../protocol/subprotocols.ts";

/** The subprotocol after which a client places its token. */
export const AUTH_SUBPROTOCOL = "auth";

/**
 * The subprotocols the hub answers, most preferred first. The token that
 * follows {@linkcode AUTH_SUBPROTOCOL} is never among them.
 */
export const SUPPORTED_SUBPROTOCOLS: readonly string[] = Object.freeze([
  SUBPROTOCOL_V1_BATCH,
  SUBPROTOCOL_V1,
  "v12.stomp",
  "v11.stomp",
  "v10.stomp",
  AUTH_SUBPROTOCOL,
]);

/** Where {@linkcode extractToken} may look for a token. */
export interface TokenSources {
  /** Read `Sec-WebSocket-Protocol: auth, <jwt>`. @default {true} */
  subprotocol?: boolean;
  /** Read `Authorization: Bearer <jwt>`. @default {true} */
  header?: boolean;
  /** The query parameter to read, or `false`. Tokens in URLs end up in logs: prefer the others. @default {"token"} */
  query?: string | false;
  /** The cookie to read, or `false`. @default {false} */
  cookie?: string | false;
}

/**
 * What {@linkcode extractToken} reads of a request: its URL and headers. A
 * `Request` is one; a transport adapter may pass a lighter view of the
 * request it already parsed.
 */
export interface RequestView {
  /** The absolute URL. */
  readonly url: string;
  /** The headers, read by lower-case name. */
  readonly headers: { get(name: string): string | null };
}

/** A token and where it was found. */
export interface ExtractedToken {
  /** The token, not yet verified. */
  token: string;
  /** Where it was found. */
  source: "subprotocol" | "header" | "query" | "cookie";
}

/**
 * Splits a `Sec-WebSocket-Protocol` header into its entries. Commas may or
 * may not be followed by whitespace (browsers send `a, b`, Node's `ws` `a,b`).
 *
 * @param header The header value, or `null` when absent.
 * @returns The non-empty entries, in order.
 *
 * @example Parse both spellings
 * ```ts
 * import { parseSubprotocols } from "@realtime/hub/auth";
 *
 * parseSubprotocols("realtime.v1,auth"); // ["realtime.v1", "auth"]
 * parseSubprotocols("realtime.v1, auth"); // ["realtime.v1", "auth"]
 * parseSubprotocols(null); // []
 * ```
 */
export function parseSubprotocols(header: string | null): string[] {
  if (header === null) return [];
  // Once per upgrade: one array, no intermediate ones.
  const entries: string[] = [];
  let start = 0;
  while (start <= header.length) {
    let end = header.indexOf(",", start);
    if (end < 0) end = header.length;
    const entry = header.slice(start, end).trim();
    if (entry.length > 0) entries.push(entry);
    start = end + 1;
  }
  return entries;
}

/** The index of the token entry (right after `auth`), or -1. */
function tokenIndex(offered: readonly string[]): number {
  const auth = offered.indexOf(AUTH_SUBPROTOCOL);
  return auth >= 0 && auth + 1 < offered.length ? auth + 1 : -1;
}

/**
 * Chooses the subprotocol to answer: the first of
 * {@linkcode SUPPORTED_SUBPROTOCOLS} the client offered. The entry after
 * `auth` is the token and is never chosen, so it is never echoed back.
 *
 * @param offered The client's subprotocols, from {@linkcode parseSubprotocols}.
 * @returns The subprotocol to answer, or `undefined` to answer none.
 *
 * @example Answer a browser that sent a token as a subprotocol
 * ```ts
 * import { selectSubprotocol } from "@realtime/hub/auth";
 *
 * selectSubprotocol(["realtime.v1", "auth", "eyJhbGciOi.eyJzdWIi.c2ln"]); // "realtime.v1"
 * selectSubprotocol(["realtime.v1.batch", "realtime.v1"]); // "realtime.v1.batch"
 * selectSubprotocol(["auth", "eyJhbGciOi.eyJzdWIi.c2ln"]); // "auth"
 * selectSubprotocol(["chat"]); // undefined
 * ```
 */
export function selectSubprotocol(offered: readonly string[]): string | undefined {
  const token = tokenIndex(offered);
  let best = SUPPORTED_SUBPROTOCOLS.length;
  for (let i = 0; i < offered.length; i++) {
    if (i === token) continue;
    const rank = SUPPORTED_SUBPROTOCOLS.indexOf(offered[i]);
    if (rank >= 0 && rank < best) best = rank;
  }
  return SUPPORTED_SUBPROTOCOLS[best];
}

function bearer(value: string | null): string | undefined {
  const match = value === null ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value.trim());
  return match?.[1];
}

function cookieValue(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    return value.length > 0 ? value : undefined;
  }
  return undefined;
}

/**
 * Finds the token in an upgrade request, looking in a fixed order:
 * subprotocol (`auth, <jwt>`), `Authorization: Bearer` header, query
 * parameter, cookie. A source that is disabled, absent or empty is skipped.
 *
 * @param req The upgrade request (a `Request`, or any {@linkcode RequestView}).
 * @param sources Which sources to read.
 * @param offered The request's subprotocols when the caller already parsed
 * them with {@linkcode parseSubprotocols}; read from the request otherwise.
 * @returns The token and its source, or `undefined` when there is none.
 *
 * @example Read a token sent as a subprotocol
 * ```ts
 * import { extractToken } from "@realtime/hub/auth";
 *
 * const req = new Request("http://localhost/ws", {
 *   headers: { "sec-websocket-protocol": "realtime.v1, auth, eyJhbGciOi.eyJzdWIi.c2ln" },
 * });
 * extractToken(req, {}); // { token: "eyJhbGciOi.eyJzdWIi.c2ln", source: "subprotocol" }
 * ```
 */
export function extractToken(
  req: RequestView,
  sources: TokenSources,
  offered?: readonly string[],
): ExtractedToken | undefined {
  const { subprotocol = true, header = true, query = "token", cookie = false } = sources;
  if (subprotocol) {
    const list = offered ?? parseSubprotocols(req.headers.get("sec-websocket-protocol"));
    const index = tokenIndex(list);
    if (index >= 0) return { token: list[index], source: "subprotocol" };
  }
  if (header) {
    const token = bearer(req.headers.get("authorization"));
    if (token !== undefined) return { token, source: "header" };
  }
  if (typeof query === "string" && query.length > 0) {
    const token = new URL(req.url).searchParams.get(query);
    if (token) return { token, source: "query" };
  }
  if (typeof cookie === "string" && cookie.length > 0) {
    const token = cookieValue(req.headers.get("cookie"), cookie);
    if (token !== undefined) return { token, source: "cookie" };
  }
  return undefined;
}

/** Options for {@linkcode redactUrl}. */
export interface RedactUrlOptions {
  /** Query parameters whose values are replaced. @default {["token", "access_token"]} */
  params?: readonly string[];
}

const PLACEHOLDER = "[REDACTED]";

/**
 * Replaces the values of token-bearing query parameters with `[REDACTED]`,
 * for logging. Other parameters are kept exactly as written. A path such as
 * `/ws?token=…` (a request target) is accepted and returned as a path.
 *
 * @param url An absolute URL or a path with a query.
 * @param options Which parameters to redact.
 * @returns The URL with those values redacted.
 *
 * @example Log an upgrade request's URL
 * ```ts
 * import { redactUrl } from "@realtime/hub/auth";
 *
 * redactUrl("wss://hub.example.com/ws?room=1&token=eyJhbGciOi.eyJzdWIi.c2ln");
 * // "wss://hub.example.com/ws?room=1&token=[REDACTED]"
 * ```
 */
export function redactUrl(url: string | URL, options: RedactUrlOptions = {}): string {
  const names = new Set(options.params ?? ["token", "access_token"]);
  const text = String(url);
  // OAuth's implicit flow puts access_token in the fragment, in query syntax: redact both.
  const hashAt = text.indexOf("#");
  const beforeHash = hashAt < 0 ? text : text.slice(0, hashAt);
  const fragment = hashAt < 0 ? "" : `#${redactParams(text.slice(hashAt + 1), names)}`;
  const queryAt = beforeHash.indexOf("?");
  if (queryAt < 0) return beforeHash + fragment;
  return `${beforeHash.slice(0, queryAt)}?${
    redactParams(beforeHash.slice(queryAt + 1), names)
  }${fragment}`;
}

function redactParams(query: string, names: ReadonlySet<string>): string {
  return query.split("&").map((pair) => {
    const eq = pair.indexOf("=");
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    let name: string;
    try {
      name = decodeURIComponent(rawName.replaceAll("+", " "));
    } catch {
      name = rawName;
    }
    return names.has(name) ? `${rawName}=${PLACEHOLDER}` : pair;
  }).join("&");
}
