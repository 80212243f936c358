/**
 * `@realtime/hub`: an authenticated realtime pub/sub hub for `Deno.serve`.
 *
 * Every connection is authenticated with a JWT verified on Web Crypto (via
 * `jose`), taken from a subprotocol, an `Authorization` header, a query
 * parameter, a cookie or a first `auth` message. Every subscribe and publish
 * is decided by a topic ACL engine (patterns, templates such as
 * `user:{sub}`, token capabilities, deny-wins, a pluggable `authorize`).
 * The wire protocol is documented in `docs/protocol.md`.
 *
 * @example Serve a hub
 * ```ts ignore
 * import { createHub } from "@realtime/hub";
 *
 * const hub = createHub({
 *   auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! },
 *   acl: { rules: [{ effect: "allow", actions: ["subscribe", "publish"], topics: ["chat:*"] }] },
 * });
 * Deno.serve((req) => new URL(req.url).pathname === "/ws" ? hub.upgrade(req) : new Response("hi"));
 * ```
 *
 * @module
 */

// Hub
export * from "./src/hub/hub.ts";
export * from "./src/server/create_hub.ts";
export * from "./src/hub/transport.ts";
export * from "./src/hub/options.ts";
export * from "./src/hub/broker.ts";
export * from "./src/hub/clock.ts";
export * from "./src/hub/log.ts";
export * from "./src/hub/registry.ts";
export * from "./src/hub/metrics.ts";
export * from "./src/hub/token_bucket.ts";
export type { Verdict } from "./src/hub/connection.ts";

// Transports and server
export * from "./src/server/deno_adapter.ts";
export * from "./src/server/node_adapter.ts";
export * from "./src/server/serve.ts";
export * from "./src/server/config.ts";
export * from "./src/server/start.ts";

// Admin API and metrics
export * from "./src/admin/handler.ts";
export * from "./src/admin/options.ts";
export * from "./src/metrics/prometheus.ts";
export * from "./src/metrics/handler.ts";

// Protocol
export * from "./src/protocol/codes.ts";
export * from "./src/protocol/subprotocols.ts";
export type * from "./src/protocol/frames.ts";
export * from "./src/protocol/parse.ts";
export * from "./src/protocol/encode.ts";

// Authentication
export type * from "./src/auth/principal.ts";
export * from "./src/auth/errors.ts";
export * from "./src/auth/duration.ts";
export * from "./src/auth/algorithms.ts";
export * from "./src/auth/mint.ts";
export * from "./src/auth/verify.ts";
export * from "./src/auth/roles.ts";
export * from "./src/auth/extract.ts";
export * from "./src/auth/dev_key.ts";
export * from "./src/auth/keys.ts";
export * from "./src/auth/revocations.ts";

// Authorization
export * from "./src/acl/rules.ts";
export * from "./src/topic/topic.ts";
export * from "./src/topic/pattern.ts";
export * from "./src/acl/template.ts";
export * from "./src/acl/capabilities.ts";
export * from "./src/acl/compile.ts";
export * from "./src/acl/decision_cache.ts";
export * from "./src/acl/lint.ts";
export type { AclSignatureRequirement } from "./src/acl/signing.ts";

// Signed publications: types here, functions on `@realtime/hub/signing`.
export type * from "./src/signing/verify.ts";
