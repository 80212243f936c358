// CORS for the hub's HTTP doors (the SSE stream, the requests posted to it,
// HTTP publish), as Mercure and Centrifugo answer it: a page on another
// origin than the hub (app.example.com using rt.example.com) may use them
// when its origin is in `allowedOrigins`, the list that already decides which
// pages may open a WebSocket and send the hub's cookie. The exact origin is
// echoed with credentials allowed, never `*`; any other origin gets no CORS
// header, so its browser keeps the answer from the page. With no list there
// is no cross-origin access at all. Internal to the hub.

import { errorResponse } from "./http_body.ts";

/**
 * The request headers the browser client and a page's own `fetch` send: the
 * bearer token, the JSON body's type, and the id a stream resumes from (not
 * safelisted, so a fetch-based reader sending it is preflighted; Chromium's
 * own `EventSource` sends it on a reconnect without asking).
 */
export const CORS_ALLOW_HEADERS = "Authorization, Content-Type, Last-Event-ID";

/** Response headers a page may read beyond the safelisted ones: when to retry, why a token failed. */
export const CORS_EXPOSE_HEADERS = "Retry-After, WWW-Authenticate";

/** How long a browser may reuse a preflight's answer, in seconds (Chromium caps it at 7200). */
export const CORS_MAX_AGE_S = 600;

/** A request handler of an HTTP door. */
export type DoorHandler<I> = (req: Request, info?: I) => Promise<Response>;

/**
 * Whether `origin` may read the doors' answers across origins: listed
 * exactly, and never the opaque `null` origin of sandboxed frames and
 * `file:` pages, which any page can take on.
 */
export function corsAllows(origin: string | null, allowed: ReadonlySet<string>): origin is string {
  return origin !== null && origin !== "null" && allowed.has(origin);
}

/**
 * The CORS headers of an answer (not a preflight) to a request from
 * `origin`: none when no origin is allowed (the answer never varies), only
 * `Vary: Origin` for an origin that is not.
 */
export function corsHeaders(
  origin: string | null,
  allowed: ReadonlySet<string>,
): Record<string, string> {
  if (allowed.size === 0) return {};
  if (!corsAllows(origin, allowed)) return { vary: "Origin" };
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": CORS_EXPOSE_HEADERS,
    vary: "Origin",
  };
}

/**
 * The answer to an `OPTIONS` request on a door accepting `methods`: a
 * preflight from an allowed origin gets 204 with what the door accepts; one
 * from any other origin a 403 without CORS headers, which the browser
 * reports as a CORS failure; an `OPTIONS` that is no preflight (no `Origin`
 * or no `Access-Control-Request-Method`) gets 204 with `Allow`.
 */
export function preflightResponse(
  req: Request,
  allowed: ReadonlySet<string>,
  methods: string,
): Response {
  const origin = req.headers.get("origin");
  const vary: Record<string, string> = allowed.size === 0 ? {} : { vary: "Origin" };
  if (origin === null || req.headers.get("access-control-request-method") === null) {
    return new Response(null, { status: 204, headers: { allow: `${methods}, OPTIONS`, ...vary } });
  }
  if (!corsAllows(origin, allowed)) {
    return errorResponse(
      403,
      "FORBIDDEN",
      "Origin is not allowed: list it in 'allowedOrigins' to use this door from its pages",
      vary,
    );
  }
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": methods,
      "access-control-allow-headers": CORS_ALLOW_HEADERS,
      "access-control-max-age": String(CORS_MAX_AGE_S),
      vary: "Origin",
    },
  });
}

/**
 * `handler` with CORS: preflights answered here, every other answer given
 * the CORS headers of its request's origin.
 *
 * @param handler The door.
 * @param allowedOrigins The origins whose pages may use it (`HubOptions.allowedOrigins`).
 * @param methods What the door accepts, as `Access-Control-Allow-Methods` says it.
 */
export function withCors<I>(
  handler: DoorHandler<I>,
  allowedOrigins: ReadonlySet<string>,
  methods: string,
): DoorHandler<I> {
  return async function cors(req: Request, info?: I): Promise<Response> {
    if (req.method === "OPTIONS") return preflightResponse(req, allowedOrigins, methods);
    const response = await handler(req, info);
    const headers = corsHeaders(req.headers.get("origin"), allowedOrigins);
    for (const [name, value] of Object.entries(headers)) {
      if (name === "vary") response.headers.append(name, value);
      else response.headers.set(name, value);
    }
    return response;
  };
}
