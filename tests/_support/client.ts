// A raw WebSocket peer for hub tests: every received frame is queued and
// awaited with a timeout; nothing sleeps. It stays below the client's
// Connection on purpose: hub tests choose subprotocols and headers, send
// malformed frames, and must see every frame the hub sends, even one the
// client's reader would drop. Splitting batched messages is the protocol's
// splitBatch, as in Connection. Tests of client behaviour use Connection or
// RealtimeClient (tests/client/_helpers.ts).

import { splitBatch } from "../../src/protocol/subprotocols.ts";

/** A received frame (parsed JSON). */
// deno-lint-ignore no-explicit-any
export type Frame = Record<string, any>;

export interface Closed {
  code: number;
  reason: string;
}

export interface ConnectOptions {
  protocols?: string[];
  headers?: Record<string, string>;
}

export class TestSocket {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  #frames: Frame[] = [];
  #waiters: (() => void)[] = [];
  #isClosed = false;

  constructor(url: string, options: ConnectOptions = {}) {
    // Deno's WebSocket accepts headers; browsers do not.
    this.ws = new WebSocket(
      url,
      { protocols: options.protocols, headers: options.headers } as never,
    );
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve(), { once: true });
      this.ws.addEventListener("error", () => reject(new Error("WebSocket failed to open")), {
        once: true,
      });
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.addEventListener("close", (e) => {
        this.#isClosed = true;
        resolve({ code: e.code, reason: e.reason });
        this.#wake();
      });
    });
    this.ws.addEventListener("message", (e) => {
      for (const line of splitBatch(String(e.data))) this.#frames.push(JSON.parse(line));
      this.#wake();
    });
  }

  #wake() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Waits for the next frame matching `match`, skipping (and keeping) others. */
  async next(match: (f: Frame) => boolean = () => true, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const index = this.#frames.findIndex(match);
      if (index >= 0) return this.#frames.splice(index, 1)[0];
      if (this.#isClosed) {
        throw new Error(`Socket closed while waiting; frames: ${JSON.stringify(this.#frames)}`);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`Timed out waiting for a frame; have: ${JSON.stringify(this.#frames)}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, remaining);
      });
      clearTimeout(timer);
    }
  }

  /** Sends a request with an id and waits for the reply carrying that id. */
  async request(frame: Frame, timeoutMs = 3000): Promise<Frame> {
    this.send(frame);
    return await this.next((f) => f.id === frame.id, timeoutMs);
  }

  /** Frames received and not yet consumed. */
  get pending(): readonly Frame[] {
    return this.#frames;
  }

  async close(): Promise<Closed> {
    if (!this.#isClosed && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
    return await withTimeout(this.closed, 3000, "close");
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens a socket and waits for the welcome frame. */
export async function connectWelcomed(
  url: string,
  options: ConnectOptions = {},
): Promise<[TestSocket, Frame]> {
  const socket = new TestSocket(url, options);
  await withTimeout(socket.opened, 3000, "open");
  const welcome = await socket.next((f) => f.type === "welcome");
  return [socket, welcome];
}
