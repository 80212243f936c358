/**
 * `@realtime/hub/client`: a browser-safe client for the hub. One
 * {@linkcode RealtimeClient} holds one WebSocket, reconnects with
 * exponential back-off and full jitter, resubscribes after every reconnect,
 * refreshes its token when the hub announces `token_expiring`, correlates
 * requests by id with timeouts, and queues publishes while reconnecting. It
 * uses only web APIs: it runs unchanged in browsers, Deno and Node 22+.
 *
 * @example Subscribe and publish
 * ```ts ignore
 * import { RealtimeClient } from "@realtime/hub/client";
 *
 * const rt = new RealtimeClient({
 *   url: "wss://example.com/ws",
 *   getToken: async () => (await (await fetch("/api/realtime-token")).json()).token,
 * });
 * rt.on("state", (state) => console.log("realtime:", state));
 * const unsubscribe = rt.subscribe("chat:lobby", (msg) => console.log(msg.from, msg.payload));
 * await rt.publish("chat:lobby", { text: "hello" });
 * unsubscribe();
 * await rt.close();
 * ```
 *
 * @module
 */

export * from "./client.ts";
export * from "./connection.ts";
export * from "./close_policy.ts";
export * from "./subscription.ts";
export * from "./errors.ts";
export * from "./options.ts";
export * from "./backoff.ts";
export { CloseCode, type ErrorCode } from "../protocol/codes.ts";
export type * from "../protocol/frames.ts";
