/**
 * One walk over a Deno server's open sockets every half heartbeat, which
 * keeps Deno's heartbeat timer off sockets that are talking. Internal to the
 * Deno adapter.
 *
 * @module
 */

import type { IdleHeartbeat } from "./_idle_heartbeat.ts";
import { append, type Linked, members, unlink } from "./_ring.ts";

export type { Linked };

/** A socket a walk looks after. */
export interface Walked extends Linked {
  /** Set on every message the socket reads, cleared by the walk: one field write per frame. */
  heard: boolean;
  /** Deno's socket, whose heartbeat the walk arms and disarms. */
  readonly webSocket: WebSocket;
}

/** Deno's `OPEN` state. */
const OPEN = 1;

/**
 * The open sockets of one heartbeat interval, linked through the sockets
 * themselves, walked every half interval while any is open.
 *
 * Deno's heartbeat re-arms its timer on every frame a socket reads (see
 * `IdleHeartbeat`), about 0.14 us per delivery of a busy publisher. A socket
 * joins unarmed at its open. One heard since the last walk is alive: the
 * walk disarms it if it was armed, and its frames then touch no timer. One
 * heard of nothing for a whole walk gets Deno's heartbeat armed, as every
 * socket had it before: a ping after half the interval, the close half an
 * interval later unless a frame or the pong comes first (the pong re-arms
 * it, so a live idle peer is pinged again and again, and the walk leaves an
 * armed socket it did not hear to Deno). A peer that stops answering is
 * thus found quiet by the second walk after its last frame (within one
 * interval) and closed within another: within two intervals of its last
 * frame, as `limits.heartbeatMs` documents (one that never sends, within
 * one and a half of its open).
 */
export class HeartbeatWalk implements Linked {
  /** The last socket, or itself when it has none: the walk is its ring's head. */
  prev: Linked = this;
  /** The first socket, or itself when it has none. */
  next: Linked = this;
  readonly #heartbeat: IdleHeartbeat;
  readonly #seconds: number;
  #timer: ReturnType<typeof setInterval> | undefined = undefined;

  /**
   * @param heartbeat Arms and disarms Deno's timer.
   * @param seconds The heartbeat interval, in seconds (Deno's `idleTimeout`).
   */
  constructor(heartbeat: IdleHeartbeat, seconds: number) {
    this.#heartbeat = heartbeat;
    this.#seconds = seconds;
  }

  /**
   * Adds a socket, last, and starts walking if it is the only one. It may
   * be added before it opens: the walk arms only open sockets.
   */
  add(socket: Walked): void {
    append(this, socket);
    if (this.#timer !== undefined) return;
    const timer = this.#timer = setInterval(() => this.walk(), this.#seconds * 500);
    // The sockets keep a server alive, not their heartbeat.
    Deno.unrefTimer(timer);
  }

  /** Stops walking (the last socket left). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Disarms the sockets heard since the last walk and arms the others that are open. */
  walk(): void {
    const heartbeat = this.#heartbeat;
    for (const socket of members<Walked>(this)) {
      const ws = socket.webSocket;
      if (socket.heard) {
        socket.heard = false;
        if (heartbeat.armed(ws)) heartbeat.disarm(ws);
      } else if (!heartbeat.armed(ws) && ws.readyState === OPEN) {
        heartbeat.arm(ws, this.#seconds);
      }
    }
  }
}

/**
 * Takes a closed socket out of its walk (one never added is left as it is),
 * which stops once none is left. The socket's own links stay, so a walk
 * standing on it goes on.
 */
export function leave(socket: Walked): void {
  const { prev, next } = socket;
  unlink(socket);
  if (prev === next && prev instanceof HeartbeatWalk) prev.stop();
}
