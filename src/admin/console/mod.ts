/**
 * The operator's console: a page served by the hub at `/admin` that signs in
 * with the admin credential and shows the hub live (totals with sparklines,
 * connections, topics), explains and replaces the ACL rules, and publishes,
 * all through the admin API and its audit log.
 *
 * @example Serve the console next to the admin API
 * ```ts ignore
 * import { createHub } from "@realtime/hub";
 * import { createAdminHandler } from "@realtime/hub/admin";
 * import { createConsoleFeed, createConsoleHandler } from "@realtime/hub/console";
 *
 * const hub = createHub({ auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! } });
 * const feed = createConsoleFeed(hub);
 * const admin = createAdminHandler(hub, { apiKey: Deno.env.get("REALTIME_ADMIN_KEY"), feed });
 * const page = createConsoleHandler();
 * Deno.serve(async (req, info) =>
 *   new URL(req.url).pathname === "/ws"
 *     ? hub.upgrade(req, info)
 *     : (await admin(req)) ?? (await page(req)) ?? new Response("Not found", { status: 404 })
 * );
 * ```
 *
 * @module
 */

export * from "./handler.ts";
export * from "./feed.ts";
export * from "./sparkline.ts";
export * from "./sse.ts";
