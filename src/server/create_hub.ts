/**
 * `createHub`: a hub whose `hub.upgrade(req, info)` upgrades with
 * `Deno.upgradeWebSocket`. The composition of the hub layer and the Deno
 * adapter, so that the hub itself imports no transport.
 *
 * @module
 */

import { composeHub, type Hub } from "../hub/hub.ts";
import type { HubRuntime } from "../hub/transport.ts";
import type { HubOptions } from "../hub/options.ts";
import { upgradeWithDeno } from "./deno_adapter.ts";
import { setImmediate } from "node:timers";

/** Deno's runtime: its WebSocket upgrade, and a flush after the turn's I/O. */
const DENO_RUNTIME: HubRuntime = { upgrade: upgradeWithDeno, schedule: setImmediate };

/**
 * Creates a hub.
 *
 * @param options Authentication, authorization, limits and dependencies.
 * @returns The hub.
 *
 * @example Serve a hub with Deno.serve
 * ```ts ignore
 * import { createHub } from "@realtime/hub";
 *
 * const hub = createHub({
 *   auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! },
 *   acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["user:{sub}"] }] },
 * });
 * Deno.serve((req, info) => new URL(req.url).pathname === "/ws" ? hub.upgrade(req, info) : new Response("hi"));
 * ```
 *
 * @example Create and close a hub
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import assert from "node:assert/strict";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * assert.equal(hub.connectionCount, 0);
 * await hub.close();
 * ```
 */
export function createHub(options: HubOptions): Hub {
  return composeHub(options, DENO_RUNTIME);
}
