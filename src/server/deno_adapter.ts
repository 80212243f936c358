/**
 * The `Deno.upgradeWebSocket` transport adapter.
 *
 * Two limits of Deno 2.9 that users must know (see the README):
 * - it has no option to bound message size and buffers a fragmented message
 *   of any size whole, so the hub's size limit is enforced only after the
 *   message arrived (`TOO_LARGE`); use the `ws` adapter (`serve`'s default)
 *   where hostile clients are expected;
 * - passing `protocol` answers 500 to a subprotocol list written `a,b`
 *   (Node's `ws` client), so this adapter upgrades without it and sets
 *   `Sec-WebSocket-Protocol` on the response itself.
 *
 * @module
 */

import type { Accepted, Admission, SocketHandler } from "../hub/hub.ts";
import type { HubSocket } from "../hub/connection.ts";

/** The parts of a hub this adapter uses. */
export interface UpgradeTarget {
  /** Decides the upgrade. */
  admit(req: Request): Promise<Admission>;
  /** Attaches the upgraded socket. */
  connect(socket: HubSocket, admission: Accepted): SocketHandler;
}

/**
 * Upgrades a request with `Deno.upgradeWebSocket` and attaches the socket to
 * a hub. `hub.upgrade(req)` calls this.
 *
 * @param hub The hub.
 * @param req The upgrade request.
 * @returns The 101 response, or the hub's refusal.
 *
 * @example Mount a hub with the Deno adapter
 * ```ts ignore
 * import { createHub, upgradeWithDeno } from "@realtime/hub";
 *
 * const hub = createHub({ auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! } });
 * Deno.serve((req) => upgradeWithDeno(hub, req));
 * ```
 */
export async function upgradeWithDeno(hub: UpgradeTarget, req: Request): Promise<Response> {
  const admission = await hub.admit(req);
  if (!admission.ok) return admission.response;
  const { socket, response } = Deno.upgradeWebSocket(req);
  if (admission.protocol !== undefined) {
    response.headers.set("sec-websocket-protocol", admission.protocol);
  }
  const handler = hub.connect(socket, admission);
  socket.onopen = () => handler.open();
  socket.onmessage = (event) => handler.message(event.data);
  socket.onclose = () => handler.close();
  socket.onerror = () => {};
  return response;
}
