/**
 * Arming Deno's own WebSocket heartbeat after the open rather than at the
 * upgrade, so no listener keeps the upgrade's request alive. Internal to
 * the Deno adapter.
 *
 * @module
 */

/**
 * Deno's heartbeat, armed after the open instead of at the upgrade.
 *
 * Asked for at the upgrade (`idleTimeout`), Deno 2.9 adds a `close`
 * listener whose closure holds the upgrade's scope: the `Request`, its
 * headers (the token among them), its `AbortSignal` and the `DOMException`
 * with a stack trace that aborted it, about 1.2 KiB per idle socket for the
 * socket's whole life (`ext/http/02_websocket.ts`). The ping timer itself
 * (`[[serverHandleIdleTimeout]]` in `ext/websocket/01_websocket.js`) only
 * needs the socket and its `[[idleTimeout]]` slot, and Deno re-arms it on
 * every frame it reads. So the adapter upgrades the first socket as
 * documented, checks that those private slots are there and that Deno set
 * them as expected, and from then on upgrades with `idleTimeout: 0`, sets the
 * slot at the open, starts the timer, and clears it at the close (the
 * listener's one job). On another Deno, where the check fails, every socket
 * keeps the documented option. `tests/hub/limits_test.ts` (a peer that stops
 * answering pings is dropped) and `tests/server/idle_socket_memory_test.ts`
 * catch a break on a Deno upgrade.
 */
export class IdleHeartbeat {
  /** Whether the first socket was looked at. */
  checked = false;
  /** Whether sockets are upgraded without `idleTimeout` and armed at the open. */
  lean = false;
  #duration: symbol | undefined;
  #timeout: symbol | undefined;
  #start: symbol | undefined;

  /** Looks at a socket upgraded with `idleTimeout` for the slots `arm` needs. */
  check(socket: WebSocket, idleTimeout: number): void {
    this.checked = true;
    const slots = socket as unknown as Record<symbol, unknown>;
    const own = Object.getOwnPropertySymbols(socket);
    const proto = Object.getOwnPropertySymbols(Object.getPrototypeOf(socket));
    const duration = own.find((s) => s.description === "[[idleTimeout]]");
    const timeout = own.find((s) => s.description === "[[idleTimeoutTimeout]]");
    const start = proto.find((s) => s.description === "[[serverHandleIdleTimeout]]");
    if (duration === undefined || timeout === undefined || start === undefined) return;
    if (slots[duration] !== idleTimeout || typeof slots[start] !== "function") return;
    this.#duration = duration;
    this.#timeout = timeout;
    this.#start = start;
    this.lean = true;
  }

  /** Sets the socket's heartbeat interval and starts its timer (Deno re-arms it per frame). */
  arm(socket: WebSocket, idleTimeout: number): void {
    const slots = socket as unknown as Record<symbol, unknown>;
    slots[this.#duration!] = idleTimeout;
    (slots[this.#start!] as () => void).call(socket);
  }

  /** Clears the socket's pending heartbeat timer, as Deno's own close listener does. */
  disarm(socket: WebSocket): void {
    const timer = (socket as unknown as Record<symbol, unknown>)[this.#timeout!];
    if (timer !== null && timer !== undefined) clearTimeout(timer as number);
  }
}
