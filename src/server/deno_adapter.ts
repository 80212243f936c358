/**
 * The `Deno.upgradeWebSocket` transport adapter.
 *
 * Two limits of Deno 2.9 that users must know (see docs/server.md):
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

import type { ConnInfo, SocketHandler, UpgradeTarget } from "../hub/transport.ts";

export type { UpgradeTarget } from "../hub/transport.ts";
import { badRequest, handshakeProblem } from "./_upgrade_request.ts";
import { IdleHeartbeat } from "./_idle_heartbeat.ts";
import { HeartbeatWalk, leave, type Linked, type Walked } from "./_heartbeat_walk.ts";

/** One per process: the check is about the Deno running it. */
const heartbeat = new IdleHeartbeat();

/** The walks over open sockets, one per heartbeat interval (in seconds) in use. */
const walks = new Map<number, HeartbeatWalk>();

function walkOf(seconds: number): HeartbeatWalk {
  let walk = walks.get(seconds);
  if (walk === undefined) walks.set(seconds, walk = new HeartbeatWalk(heartbeat, seconds));
  return walk;
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
 * import { createHub } from "@realtime/hub";
 * import { upgradeWithDeno } from "@realtime/hub/server";
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
  // `Deno.serve` builds `req.url` from the client's Host: it may not parse.
  if (!hasOneHost(req.headers.get("host")) || !URL.canParse(req.url)) {
    hub.malformedUpgrade?.("target", info);
    return badRequest("Malformed request target or Host header");
  }
  const problem = handshakeProblem(
    req.method,
    req.headers.get("upgrade"),
    req.headers.get("sec-websocket-key"),
    req.headers.get("sec-websocket-version"),
  );
  if (problem !== undefined) {
    hub.malformedUpgrade?.("handshake", info);
    return badRequest(problem);
  }
  // Deno's `info` keeps `remoteAddr` behind a getter, which a spread would lose.
  const admission = await hub.admit(req, { remoteAddr: info?.remoteAddr, transport: "deno" });
  if (!admission.ok) return admission.response;
  // Deno pings after half `idleTimeout` seconds of silence and closes a
  // peer that does not answer within as long again; with the adapter's walk
  // (`HeartbeatWalk`), dead peers go within two intervals.
  const idleTimeout = Math.max(1, Math.round(hub.limits.heartbeatMs / 1000));
  let upgraded: { socket: WebSocket; response: Response };
  const lean = heartbeat.lean;
  try {
    // Once the adapter can arm the heartbeat itself (see `IdleHeartbeat`),
    // the upgrade asks for none, so no listener keeps the request alive.
    upgraded = Deno.upgradeWebSocket(req, { idleTimeout: lean ? 0 : idleTimeout });
  } catch {
    // A missing or bad Sec-WebSocket-Key or -Version, or a request that is not an upgrade.
    hub.malformedUpgrade?.("handshake", info);
    return badRequest("Malformed WebSocket upgrade request");
  }
  const { socket, response } = upgraded;
  if (admission.protocol !== undefined) {
    response.headers.set("sec-websocket-protocol", admission.protocol);
  }
  const lingering = new LingeringSocket(socket);
  if (!heartbeat.checked) heartbeat.check(socket, idleTimeout);
  lingering.handler = hub.connect(lingering, admission);
  // Unarmed: the walk arms it once it is open and quiet, so a socket that
  // talks from the start never gets a timer. Deno's own open steps see the
  // slot 0 and add no close listener.
  if (lean) walkOf(idleTimeout).add(lingering);
  // One listener object for every event: an idle socket holds no closure
  // of ours nor the wrapper Deno makes for each `on…` handler (about 400
  // bytes of heap per connection). The open listener is a once-only one,
  // and no error listener is kept (an error is always followed by the close
  // event, which cleans up).
  socket.addEventListener("open", lingering, { once: true });
  socket.addEventListener("message", lingering);
  socket.addEventListener("close", lingering);
  return response;
}

/**
 * How long a closing socket keeps reading (and dropping) what the peer still
 * sends while it waits for the peer's close frame.
 */
const CLOSE_HANDSHAKE_MS = 2000;

/**
 * The closing sockets' handshake deadlines: kept here rather than in a field,
 * as only sockets the hub is closing have one (8 bytes less on every idle
 * connection).
 */
const deadlines = new Map<LingeringSocket, ReturnType<typeof setTimeout>>();

/** Deno's WebSocket states (the WebSocket standard's numbering). */
const OPEN = 1;
const CLOSING = 2;

/**
 * A Deno server socket whose close completes the closing handshake.
 *
 * Deno 2.9's `ext/websocket` (`01_websocket.js`, `[_eventLoop]`) ends the TCP
 * connection as soon as it reads a data frame while CLOSING on a server
 * socket ("read was cancelled, and we didn't get a close frame"). A peer
 * still sending when the hub closes it gets the close frame and then the
 * end of the connection before it can answer; clients that answer the close
 * before reporting it (Deno's own, Python `websockets`) then report 1006 or
 * 0, never 4000 or 4008. Deno offers no way to stop reading or to defer that
 * teardown, so after sending the close frame this puts the socket's internal
 * state back to OPEN: Deno keeps reading (the hub ignores what arrives) until
 * the peer's close frame, which completes the handshake as Deno does when
 * the peer closes first. After {@linkcode CLOSE_HANDSHAKE_MS} the state goes
 * back to CLOSING, and Deno's own teardown applies. If the internal state is
 * not found (another Deno), the plain close is used.
 */
class LingeringSocket implements EventListenerObject, Walked {
  #socket: WebSocket;
  /** The hub's side, set once the hub attached the socket. */
  handler: SocketHandler | undefined;
  /** Its neighbours in its heartbeat walk, itself while in none (Deno armed it at the upgrade). */
  prev: Linked = this;
  next: Linked = this;
  /** Whether a message came since the walk last looked (see `HeartbeatWalk`). */
  heard = false;
  /**
   * An upper bound of the socket's `bufferedAmount`: its value when last
   * read plus at most what was sent since (Deno's only grows by sends).
   */
  #heldAtMost = 0;

  constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  /** The socket's events, forwarded to the hub. */
  handleEvent(event: Event): void {
    const handler = this.handler!;
    switch (event.type) {
      case "message":
        this.heard = true;
        handler.message((event as MessageEvent).data);
        return;
      case "open":
        handler.open();
        return;
      case "close":
        this.#released();
        // In a walk only when the adapter arms its heartbeat.
        if (this.prev !== this) {
          leave(this);
          heartbeat.disarm(this.#socket);
        }
        handler.close((event as CloseEvent).code);
    }
  }

  /** Deno's socket, for the heartbeat walk. */
  get webSocket(): WebSocket {
    return this.#socket;
  }

  send(text: string): void {
    this.#socket.send(text);
    // Deno counts a text message's UTF-8 bytes, at most three per UTF-16
    // unit; the rest is headroom for whatever framing a runtime might count.
    this.#heldAtMost += 3 * text.length + 16;
  }

  get bufferedAmount(): number {
    return this.#heldAtMost = this.#socket.bufferedAmount;
  }

  /**
   * Answered from what the socket held when last read plus what was sent
   * since, so the hub's check after each write costs no call into Deno
   * (`op_ws_get_buffered_amount`) until that bound nears its limit.
   */
  bufferedAtMost(bytes: number): boolean {
    return this.#heldAtMost <= bytes;
  }

  close(code: number, reason: string): void {
    const socket = this.#socket;
    const wasOpen = socket.readyState === OPEN;
    socket.close(code, reason);
    const after: number = socket.readyState;
    const state = readyStateSymbol(socket);
    if (!wasOpen || state === undefined || after !== CLOSING) return;
    const internal = socket as unknown as Record<symbol, number>;
    internal[state] = OPEN;
    clearTimeout(deadlines.get(this));
    deadlines.set(
      this,
      setTimeout(() => {
        deadlines.delete(this);
        if (internal[state] === OPEN) internal[state] = CLOSING;
      }, CLOSE_HANDSHAKE_MS),
    );
  }

  /** The socket closed: the handshake deadline is no longer needed. */
  #released(): void {
    if (deadlines.size === 0) return;
    clearTimeout(deadlines.get(this));
    deadlines.delete(this);
  }
}

/** Deno's private `[[readyState]]` slot, or `undefined` when it is not there. */
function readyStateSymbol(socket: WebSocket): symbol | undefined {
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    if (symbol.description === "[[readyState]]") return symbol;
  }
  return undefined;
}

/** HTTP/1.1 requires exactly one non-empty Host (RFC 9112 §3.2); repeated ones arrive joined. */
function hasOneHost(host: string | null): boolean {
  return host !== null && host !== "" && !host.includes(",");
}
