/**
 * Serving the hub's metrics to a Prometheus scraper.
 *
 * @module
 */

import { checkAdminAuthOptions, createAdminAuth, errorResponse } from "../admin/credential.ts";
import type { AdminAuthOptions } from "../admin/options.ts";
import type { Hub } from "../hub/hub.ts";
import { type MetricsSource, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus.ts";

/**
 * Options of {@linkcode createMetricsHandler}.
 *
 * @example Protect metrics with the admin key on a custom path
 * ```ts
 * import type { MetricsHandlerOptions } from "@realtime/hub/admin";
 *
 * const options: MetricsHandlerOptions = {
 *   path: "/internal/metrics",
 *   adminAuth: { apiKey: "a-long-random-admin-key" },
 * };
 * ```
 */
export interface MetricsHandlerOptions {
  /**
   * Require the admin credential (an API key or an admin JWT), as for the
   * admin API. Without it the metrics are public: serve them on an internal
   * port or path only.
   *
   * @default {undefined}
   */
  adminAuth?: AdminAuthOptions;
  /**
   * The path served.
   *
   * @default {"/metrics"}
   */
  path?: string;
}

/**
 * Creates a handler serving `GET /metrics` in the Prometheus text format
 * 0.0.4 (`content-type: text/plain; version=0.0.4; charset=utf-8`). Other
 * paths get 404 and other methods 405, as JSON `{code, message}`. With
 * `adminAuth`, a missing or wrong credential gets 401 and a JWT without the
 * admin role 403, exactly as on the admin API.
 *
 * @param hub The hub whose metrics to serve.
 * @param options The credential and the path.
 * @returns The handler.
 * @throws {TypeError} When an option has the wrong type.
 *
 * @example Serve metrics behind the admin key
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { createMetricsHandler } from "@realtime/hub/admin";
 * import assert from "node:assert/strict";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * const metrics = createMetricsHandler(hub, {
 *   adminAuth: { apiKey: "an-admin-key-of-some-length" },
 * });
 * const res = await metrics(
 *   new Request("http://localhost/metrics", {
 *     headers: { authorization: "Bearer an-admin-key-of-some-length" },
 *   }),
 * );
 * assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
 * assert.match(await res.text(), /^realtime_connections 0$/m);
 * assert.equal((await metrics(new Request("http://localhost/metrics"))).status, 401);
 * await hub.close();
 * ```
 */
export function createMetricsHandler(
  hub: MetricsSource,
  options: MetricsHandlerOptions = {},
): (req: Request) => Promise<Response> {
  const what = "a metrics handler";
  if (typeof hub !== "object" || hub === null || typeof hub.stats !== "function") {
    throw new TypeError(`Cannot create ${what} as 'hub' is not a Hub`);
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot create ${what} as 'options' is not an object`);
  }
  const path = options.path ?? "/metrics";
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(`Cannot create ${what} as 'path' is not a path starting with '/'`);
  }
  if (options.adminAuth !== undefined) checkAdminAuthOptions(options.adminAuth, what);
  const authenticate = options.adminAuth === undefined
    ? undefined
    // A hub's revocations apply to admin JWTs here as on the admin API.
    : createAdminAuth(options.adminAuth, (hub as Partial<Pick<Hub, "isRevoked">>).isRevoked);

  return async function metricsHandler(req: Request): Promise<Response> {
    if (new URL(req.url).pathname !== path) {
      return errorResponse(404, "BAD_REQUEST", "Not found");
    }
    if (req.method !== "GET") {
      return errorResponse(405, "BAD_REQUEST", `Method ${req.method} is not allowed: use GET`, {
        allow: "GET",
      });
    }
    if (authenticate !== undefined) {
      const auth = await authenticate(req);
      if ("response" in auth) return auth.response;
    }
    return new Response(renderPrometheus(hub), {
      headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" },
    });
  };
}
