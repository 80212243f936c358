// A scripted hub for client tests of frames the real hub does not send yet
// (history, recovery, presence): a WebSocket server on 127.0.0.1 that
// welcomes each connection and then does what the test says. Every frame it
// receives is queued per connection and awaited with a timeout; nothing
// sleeps. Like tests/cli/close_policy_test.ts, it stands in for the hub's
// side of the wire only; the client under test is the real one.

import { withTimeout } from "../_support/client.ts";

// deno-lint-ignore no-explicit-any
export type Frame = Record<string, any>;

/** The server's end of one client connection. */
export class PeerConnection {
  readonly n: number;
  readonly #socket: WebSocket;
  readonly #frames: Frame[] = [];
  /** Every frame received, in order, including ones already taken. */
  readonly received: Frame[] = [];
  #waiters: (() => void)[] = [];

  constructor(n: number, socket: WebSocket) {
    this.n = n;
    this.#socket = socket;
  }

  push(frame: Frame): void {
    this.#frames.push(frame);
    this.received.push(frame);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Sends frames, several in one message (as a batching hub does) when more than one. */
  send(...frames: Frame[]): void {
    this.#socket.send(frames.map((f) => JSON.stringify(f)).join("\n"));
  }

  close(code: number, reason = "scripted close"): void {
    this.#socket.close(code, reason);
  }

  /** The next received frame matching `match` (others stay queued). */
  async next(match: (frame: Frame) => boolean, what: string, timeoutMs = 5000): Promise<Frame> {
    const find = async () => {
      while (true) {
        const index = this.#frames.findIndex(match);
        if (index >= 0) return this.#frames.splice(index, 1)[0];
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    };
    return await withTimeout(find(), timeoutMs, `${what} on connection ${this.n}`);
  }

  /** The next received frame of a type. */
  nextOf(type: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === type, `a '${type}' frame`, timeoutMs);
  }
}

/**
 * Answers pings, and requests on `probe:` topics with an `ack`, by itself:
 * `await rt.publish("probe:sync", 0)` returns once the client read every
 * frame the peer sent before. Everything else is left to the test.
 */
export function scriptedPeer() {
  const connections: PeerConnection[] = [];
  let arrived = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "realtime.v1" });
    const conn = new PeerConnection(connections.length + 1, socket);
    socket.onopen = () => {
      socket.send(JSON.stringify({
        type: "welcome",
        connectionId: `c${conn.n}`,
        user: "eve",
        expiresAt: null,
      }));
      connections.push(conn);
      arrived.resolve();
      arrived = Promise.withResolvers<void>();
    };
    socket.onmessage = (event) => {
      const frame = JSON.parse(String(event.data));
      if (frame.type === "ping") socket.send(JSON.stringify({ type: "pong", id: frame.id }));
      else if (String(frame.topic).startsWith("probe:")) {
        socket.send(JSON.stringify({ type: "ack", id: frame.id }));
      } else conn.push(frame);
    };
    return response;
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}/ws`,
    connections,
    /** The n-th connection (1-based), once it was welcomed. */
    async connection(n: number, timeoutMs = 5000): Promise<PeerConnection> {
      const wait = async () => {
        while (connections.length < n) await arrived.promise;
        return connections[n - 1];
      };
      return await withTimeout(wait(), timeoutMs, `connection ${n}`);
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
