/**
 * Arming and disarming Deno's own WebSocket heartbeat through its private
 * slots, so the adapter decides when a socket has one. Internal to the Deno
 * adapter.
 *
 * @module
 */

/**
 * Deno's heartbeat, armed after the open instead of at the upgrade, and only
 * on sockets that went quiet.
 *
 * Asked for at the upgrade (`idleTimeout`), Deno 2.9 adds a `close`
 * listener whose closure holds the upgrade's scope: the `Request`, its
 * headers (the token among them), its `AbortSignal` and the `DOMException`
 * with a stack trace that aborted it, about 1.2 KiB per idle socket for the
 * socket's whole life (`ext/http/02_websocket.ts`). The ping timer itself
 * (`[[serverHandleIdleTimeout]]` in `ext/websocket/01_websocket.js`) only
 * needs the socket and its `[[idleTimeout]]` slot: while that slot is not 0,
 * every text, binary or pong frame Deno reads cancels the pending timer and
 * creates another (a timer object, an async closure and three ops per
 * frame), which pings after half the slot's seconds of silence and closes
 * the socket half the slot later if no frame came. While the slot is 0 a
 * frame touches no timer, but one already pending still runs, and its close
 * comes 1 ms after its ping (the delay is read from the slot when the ping
 * is sent): so `disarm` cancels it, with the internal `core.cancelTimer`
 * Deno's own code clears that slot with (`clearTimeout` does not know
 * these timers).
 *
 * So the adapter upgrades the first socket as documented, checks that those
 * private slots and that function are there and that Deno set the slots as
 * expected, and from then on upgrades with `idleTimeout: 0` and arms and
 * disarms sockets itself. On another Deno, where the check fails, every
 * socket keeps the documented option. `tests/server/idle_heartbeat_test.ts`,
 * `tests/hub/limits_test.ts` (a peer that stops answering pings is dropped,
 * one that answers is kept) and `tests/server/idle_socket_memory_test.ts`
 * catch a break on a Deno upgrade.
 */
export class IdleHeartbeat {
  /** Whether the first socket was looked at. */
  checked = false;
  /** Whether sockets are upgraded without `idleTimeout` and armed by the adapter. */
  lean = false;
  #duration: symbol | undefined;
  #timeout: symbol | undefined;
  #start: symbol | undefined;
  #cancel: ((timer: unknown) => void) | undefined;

  /** Looks at a socket upgraded with `idleTimeout` for the slots `arm` and `disarm` need. */
  check(socket: WebSocket, idleTimeout: number): void {
    this.checked = true;
    const slots = socket as unknown as Record<symbol, unknown>;
    const own = Object.getOwnPropertySymbols(socket);
    const proto = Object.getOwnPropertySymbols(Object.getPrototypeOf(socket));
    const duration = own.find((s) => s.description === "[[idleTimeout]]");
    const timeout = own.find((s) => s.description === "[[idleTimeoutTimeout]]");
    const start = proto.find((s) => s.description === "[[serverHandleIdleTimeout]]");
    const cancel = denoCancelTimer();
    if (duration === undefined || timeout === undefined || start === undefined) return;
    if (slots[duration] !== idleTimeout || typeof slots[start] !== "function") return;
    if (cancel === undefined) return;
    this.#duration = duration;
    this.#timeout = timeout;
    this.#start = start;
    this.#cancel = cancel;
    this.lean = true;
  }

  /** Whether the socket has a heartbeat (Deno re-arms it on every frame it reads). */
  armed(socket: WebSocket): boolean {
    return (socket as unknown as Record<symbol, unknown>)[this.#duration!] !== 0;
  }

  /** Sets the socket's heartbeat interval, in seconds, and starts its timer. */
  arm(socket: WebSocket, seconds: number): void {
    const slots = socket as unknown as Record<symbol, unknown>;
    slots[this.#duration!] = seconds;
    (slots[this.#start!] as () => void).call(socket);
  }

  /** Cancels the socket's pending heartbeat timer, and frames no longer start one. */
  disarm(socket: WebSocket): void {
    const slots = socket as unknown as Record<symbol, unknown>;
    slots[this.#duration!] = 0;
    const timer = slots[this.#timeout!];
    if (timer === undefined || timer === null) return;
    this.#cancel!(timer);
    slots[this.#timeout!] = undefined;
  }
}

/** Deno's internal `core.cancelTimer`, or `undefined` when it is not found. */
function denoCancelTimer(): ((timer: unknown) => void) | undefined {
  const key = Object.getOwnPropertySymbols(Deno).find((s) => s.description === "Deno.internal");
  if (key === undefined) return undefined;
  const internal = (Deno as unknown as Record<symbol, { core?: { cancelTimer?: unknown } }>)[key];
  const cancel = internal?.core?.cancelTimer;
  return typeof cancel === "function" ? cancel as (timer: unknown) => void : undefined;
}
