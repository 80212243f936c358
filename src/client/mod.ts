/**
 * `@realtime/hub/client`: a browser-safe client for the hub. One
 * {@linkcode RealtimeClient} holds one WebSocket, reconnects with
 * exponential back-off and full jitter (moving to the next hub when given a
 * list of URLs), resubscribes after every reconnect,
 * refreshes its token when the hub announces `token_expiring`, correlates
 * requests by id with timeouts, and queues publishes while reconnecting. On
 * topics with history it remembers each topic's position and recovers missed
 * messages after every reconnect, never delivering an offset twice; the
 * `subscribed` event says whether a recovery was complete. It also reads
 * history (`history()`) and presence (`presence()`, `presenceStats()`, join
 * and leave events). It signs publications (`publish(topic, payload, { sign:
 * key })`) and verifies them per subscription (`subscribe(topic, handler, {
 * verify: key })`), dropping and reporting (`verification_failed`) any
 * message whose signature fails. {@linkcode AccountsSession} signs a user in
 * with the hub's accounts (`/auth`) and gives the client a `getToken` that
 * refreshes silently and closes the connection once the user is signed out.
 * It uses only web APIs: it runs unchanged in browsers, Deno and Node 22+.
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
 * @example Know when missed messages could not be recovered
 * ```ts ignore
 * import { RealtimeClient } from "@realtime/hub/client";
 *
 * const rt = new RealtimeClient({ url: "wss://example.com/ws", token: "<jwt>" });
 * rt.subscribe("chat:lobby", (msg) => console.log(msg.offset, msg.payload));
 * rt.on("subscribed", async ({ topic, recovered }) => {
 *   if (recovered === false) {
 *     // Messages were missed and are gone: reload what the page shows.
 *     const { publications } = await rt.history(topic, { limit: 50, reverse: true });
 *     console.log(`reloaded ${publications.length} messages`);
 *   }
 * });
 * ```
 *
 * @module
 */

export * from "./client.ts";
export * from "./connection.ts";
export * from "./close_policy.ts";
export * from "./subscription.ts";
export * from "./history.ts";
export * from "./presence.ts";
export * from "./presence_set.ts";
export * from "./verified_handler.ts";
export * from "./errors.ts";
export * from "./options.ts";
export * from "./backoff.ts";
export * from "./accounts_session.ts";
export * from "./refresh_token_storage.ts";
export * from "../accounts/errors.ts";
export { CloseCode, type ErrorCode } from "../protocol/codes.ts";
export type * from "../protocol/frames.ts";
// The signing types `sign` and `verify` take; the functions are on `@realtime/hub/signing`.
export type {
  PublicationClaims,
  PublicationKeys,
  PublicationSigner,
  PublicationSigningKey,
  PublicationVerification,
  PublicationVerifier,
  RefusedPublication,
  SignatureErrorCode,
  VerifiedPublication,
} from "../signing/mod.ts";
export type { JwsAlgorithm } from "../auth/algorithms.ts";
export type { JsonWebKeySet } from "../auth/verify.ts";
