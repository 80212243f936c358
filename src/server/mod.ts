/**
 * The server side of `@realtime/hub`: `serve` (a hub on a port, with the
 * Deno or npm `ws` transport), `startServer` and the config file it reads,
 * the transport adapters and the transport contract for writing your own.
 *
 * @example Serve a hub on a port
 * ```ts ignore
 * import { createHub } from "@realtime/hub";
 * import { serve } from "@realtime/hub/server";
 *
 * const hub = createHub({ auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! } });
 * const server = await serve(hub, { port: 8080 });
 * ```
 *
 * @module
 */

export { createHub } from "./create_hub.ts";
export { composeHub } from "../hub/hub.ts";
export * from "../hub/transport.ts";
export * from "./deno_adapter.ts";
export * from "./node_adapter.ts";
export * from "./serve.ts";
export * from "./config.ts";
export * from "./start.ts";
export * from "./engine_config.ts";
export * from "./health.ts";
export * from "./proxy/proxy_config.ts";
export * from "./proxy/proxy_client.ts";
export * from "./proxy/proxy_handlers.ts";
export * from "./webhooks/webhook_config.ts";
export * from "./webhooks/webhook_queue.ts";
export * from "./webhooks/webhook_signature.ts";
export * from "./webhooks/webhooks.ts";
