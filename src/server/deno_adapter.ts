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

import type { Accepted, Admission, ConnInfo } from "../hub/admission.ts";
import type { HubSocket } from "../hub/connection.ts";
import type { SocketHandler } from "../hub/hub.ts";
import type { HubLimits } from "../hub/options.ts";

/** The parts of a hub this adapter uses. */
export interface UpgradeTarget {
  /** Decides the upgrade. */
  admit(req: Request, info?: ConnInfo): Promise<Admission>;
  /** Attaches the upgraded socket. */
  connect(socket: HubSocket, admission: Accepted): SocketHandler;
  /** The heartbeat interval is read from here. */
  readonly limits: Readonly<Pick<HubLimits, "heartbeatMs">>;
}

/**
 * Upgrades a request with `Deno.upgradeWebSocket` and attaches the socket to
 * a hub. `hub.upgrade(req)` calls this.
 *
 * @param hub The hub.
 * @param req The upgrade request.
 * @param info The peer's address, for per-IP limits.
 * @returns The 101 response, or the hub's refusal.
 *
 * @example Mount a hub with the Deno adapter
 * ```ts ignore
 * import { createHub, upgradeWithDeno } from "@realtime/hub";
 *
 * const hub = createHub({ auth: { secret: Deno.env.get("REALTIME_JWT_SECRET")! } });
 * Deno.serve((req, info) => upgradeWithDeno(hub, req, { remoteAddr: info.remoteAddr.hostname }));
 * ```
 */
export async function upgradeWithDeno(
  hub: UpgradeTarget,
  req: Request,
  info?: ConnInfo,
): Promise<Response> {
  const admission = await hub.admit(req, { ...info, transport: "deno" });
  if (!admission.ok) return admission.response;
  // Deno pings after `idleTimeout` seconds of silence and closes a peer that
  // does not answer within as long again: dead peers go within two intervals.
  const idleTimeout = Math.max(1, Math.round(hub.limits.heartbeatMs / 1000));
  const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout });
  if (admission.protocol !== undefined) {
    response.headers.set("sec-websocket-protocol", admission.protocol);
  }
  const handler = hub.connect(socket, admission);
  // Each listener costs an idle socket about half a kilobyte in Deno: the
  // open listener is a once-only one, and no error listener is kept (an
  // error is always followed by the close event, which cleans up).
  socket.addEventListener("open", () => handler.open(), { once: true });
  socket.onmessage = (event) => handler.message(event.data);
  socket.onclose = (event) => handler.close(event.code);
  return response;
}
