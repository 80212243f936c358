/**
 * The operator's HTTP surfaces over a running hub: the admin API and the
 * Prometheus `/metrics` handler.
 *
 * @example Mount the admin API
 * ```ts ignore
 * import { createHub } from "@realtime/hub";
 * import { createAdminHandler } from "@realtime/hub/admin";
 *
 * const hub = createHub({ auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! } });
 * const admin = createAdminHandler(hub, { apiKey: Deno.env.get("REALTIME_ADMIN_KEY")! });
 * ```
 *
 * @module
 */

export * from "./handler.ts";
export * from "./options.ts";
export * from "../metrics/prometheus.ts";
export * from "../metrics/handler.ts";
