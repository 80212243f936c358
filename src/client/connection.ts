/**
 * {@linkcode Connection}: one WebSocket to the hub speaking the protocol. It
 * sends the token the chosen way, reads frames (batched or not), settles
 * requests by the `id` the hub echoes, and reports how it closed. It does not
 * reconnect: {@linkcode RealtimeClient} and the CLI decide that from
 * {@linkcode closePolicy}.
 *
 * @module
 */

import type {
  AckFrame,
  HistoryReplyFrame,
  PongFrame,
  PresenceReplyFrame,
  PresenceStatsReplyFrame,
  RpcReplyFrame,
  ServerFrame,
  WelcomeFrame,
} from "../protocol/frames.ts";
import { CloseCode } from "../protocol/codes.ts";
import { SUBPROTOCOL_V1, SUBPROTOCOL_V1_BATCH } from "../protocol/subprotocols.ts";
import { RealtimeError } from "./errors.ts";
import type { ClientClock, TokenVia, WebSocketConstructor } from "./options.ts";
import { readFrames } from "./_frames.ts";
import { deferred } from "./_deferred.ts";
import { Requests } from "./_requests.ts";
import { systemClock } from "./_resolve_options.ts";

/** How a connection ended. */
export interface CloseInfo {
  /** The close code; 1006 when the connection was lost without a close frame. */
  readonly code: number;
  /** The close reason, `""` when none was given. */
  readonly reason: string;
  /**
   * The runtime's message when the connection failed before opening (for
   * example a refused handshake), if it gave one.
   */
  readonly failure?: string;
}

/** Options of the {@linkcode Connection} constructor. */
export interface ConnectionOptions {
  /** The hub's WebSocket URL, such as `wss://example.com/ws`. */
  url: string | URL;
  /** The token; without one the connection opens unauthenticated. */
  token?: string;
  /**
   * How to send the token (see {@linkcode TokenVia}).
   *
   * @default {"subprotocol"}
   */
  tokenVia?: TokenVia;
  /**
   * The WebSocket implementation.
   *
   * @default {globalThis.WebSocket}
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Time and timers for request deadlines.
   *
   * @default {the real clock}
   */
  clock?: ClientClock;
  /** Called with every frame that is not the answer to a {@linkcode Connection.request}. */
  onFrame?: (frame: ServerFrame) => void;
  /** Called once when the socket closed (not after {@linkcode Connection.detach}). */
  onClose?: (info: CloseInfo) => void;
}

/** A frame that answers a request successfully. */
export type ConnectionReply =
  | AckFrame
  | PongFrame
  | WelcomeFrame
  | HistoryReplyFrame
  | PresenceReplyFrame
  | PresenceStatsReplyFrame
  | RpcReplyFrame;

/** Options of {@linkcode Connection.request}. */
export interface ConnectionRequestOptions {
  /** Deadline for the answer, in milliseconds from now. */
  timeoutMs: number;
  /** What is asked, for error messages: `Publish to 'chat:a'`. */
  what: string;
  /** The topic, carried into errors. */
  topic?: string;
}

// A string id never collides with the numeric ids of requests.
const AUTH_ID = "auth";

/**
 * One protocol connection. Frames that answer a request settle it; every
 * other frame goes to `onFrame`. A request still pending when the socket
 * closes rejects with `DISCONNECTED`.
 *
 * @example Open, wait for `welcome`, send a request
 * ```ts
 * import { Connection } from "@realtime/hub/client";
 * import { createHub } from "@realtime/hub";
 * import { serve } from "@realtime/hub/server";
 * import { mintToken } from "@realtime/hub/auth";
 * import assert from "node:assert/strict";
 *
 * const secret = "a-development-secret-of-32-bytes!!";
 * const hub = createHub({ auth: { secret }, log: () => {} });
 * const server = await serve(hub, { port: 0 });
 * const token = await mintToken({ sub: "alice" }, { secret });
 *
 * const connection = new Connection({ url: `ws://127.0.0.1:${server.port}/ws`, token });
 * const welcome = await connection.welcomed;
 * assert.equal(welcome.user, "alice");
 * const reply = await connection.request({ type: "ping" }, { timeoutMs: 2000, what: "Ping" });
 * assert.equal(reply.type, "pong");
 * assert.equal((await connection.close()).code, 1000);
 *
 * await hub.close();
 * await server.close();
 * ```
 */
export class Connection {
  readonly #ws: WebSocket;
  readonly #requests: Requests;
  readonly #onFrame: ((frame: ServerFrame) => void) | undefined;
  readonly #onClose: ((info: CloseInfo) => void) | undefined;
  #attached = true;
  #failure: string | undefined;
  #closeInfo: CloseInfo | undefined;
  #opened = deferred<void>();
  #welcome = deferred<WelcomeFrame>();
  #closed = deferred<CloseInfo>();

  /**
   * Opens the socket.
   *
   * @param options The URL, the token and how to send it, and listeners.
   * @throws {RealtimeError} `UNSUPPORTED` when the runtime cannot open the
   * socket as asked (a browser given `tokenVia: "header"`).
   */
  constructor(options: ConnectionOptions) {
    this.#requests = new Requests(options.clock ?? systemClock);
    this.#onFrame = options.onFrame;
    this.#onClose = options.onClose;
    this.#opened.promise.catch(() => {});
    this.#welcome.promise.catch(() => {});
    this.#ws = openSocket(options);
    const token = options.token;
    const ws = this.#ws;
    ws.addEventListener("open", () => {
      this.#opened.resolve();
      if (token === undefined || options.tokenVia !== "message") return;
      this.send({ type: "auth", id: AUTH_ID, token });
    });
    ws.addEventListener("message", (event) => {
      for (const frame of readFrames(event.data)) {
        if (!this.#attached) return;
        this.#receive(frame);
      }
    });
    ws.addEventListener("error", (event) => {
      if (ws.readyState !== 1) this.#failure ??= (event as ErrorEvent).message || undefined;
    });
    ws.addEventListener("close", (event) => {
      const code = event.code === 0 ? 1006 : event.code;
      const info: CloseInfo = this.#failure === undefined
        ? { code, reason: event.reason }
        : { code, reason: event.reason, failure: this.#failure };
      this.#closeInfo = info;
      this.#opened.reject(
        new RealtimeError("DISCONNECTED", `The connection closed (${code}) before it opened`, {
          retry: true,
          closeCode: code,
        }),
      );
      this.#welcome.reject(
        new RealtimeError(
          code === CloseCode.AuthFailed ? "AUTH_FAILED" : "DISCONNECTED",
          `The connection closed (${code}) before the hub sent welcome`,
          { retry: code !== CloseCode.AuthFailed, closeCode: code },
        ),
      );
      const lost = new RealtimeError(
        "DISCONNECTED",
        `The connection closed (${code}) before the hub answered`,
        { retry: true, closeCode: code },
      );
      this.#requests.rejectWhere(() => lost);
      this.#closed.resolve(info);
      if (this.#attached) this.#onClose?.(info);
    });
  }

  /** Resolves once the socket is open; rejects when it closes first. */
  get opened(): Promise<void> {
    return this.#opened.promise;
  }

  /** Resolves with the `welcome` frame; rejects when the hub refuses or the socket closes first. */
  get welcomed(): Promise<WelcomeFrame> {
    return this.#welcome.promise;
  }

  /** Resolves with how the connection ended, once it has. */
  get closed(): Promise<CloseInfo> {
    return this.#closed.promise;
  }

  /** How the connection ended, or `undefined` while it is open. */
  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }

  /** Whether the socket is open (frames can be sent). */
  get isOpen(): boolean {
    return this.#ws.readyState === 1;
  }

  /**
   * Sends a frame: an object is serialised, a string is sent as it is.
   *
   * @param frame The frame.
   * @returns Whether it was handed to the socket (`false` once it is closing).
   */
  send(frame: string | object): boolean {
    if (this.#ws.readyState !== 1) return false;
    try {
      this.#ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
      return true;
    } catch {
      return false; // closing: the close event takes over
    }
  }

  /**
   * Sends a request with a fresh `id` and waits for the frame that answers it.
   *
   * @param frame The request without its `id`.
   * @param options Deadline and what is asked.
   * @returns The `ack`, `pong`, `welcome`, `history`, `presence` or
   * `presence_stats` frame answering it.
   * @throws {RealtimeError} With the hub's code on an `error` answer, `TIMEOUT`,
   * or `DISCONNECTED` when the socket closes first.
   */
  request(
    frame: { type: string; [field: string]: unknown },
    options: ConnectionRequestOptions,
  ): Promise<ConnectionReply> {
    const id = this.#requests.nextId();
    const answered = this.#requests.add(id, options);
    this.#requests.markSent(id);
    if (!this.send({ ...frame, id })) {
      const info = this.#closeInfo;
      this.#requests.reject(
        id,
        new RealtimeError(
          "DISCONNECTED",
          `${options.what} could not be sent: the connection is closed`,
          {
            retry: true,
            closeCode: info?.code,
            topic: options.topic,
          },
        ),
      );
    }
    return answered;
  }

  /**
   * Stops delivering frames and the close to the listeners (the socket stays
   * as it is). Used when the owner has given up on this connection.
   */
  detach(): void {
    this.#attached = false;
  }

  /**
   * Closes the socket and waits for the close handshake (bound the wait
   * yourself: a peer may never answer).
   *
   * @param code The close code.
   * @default {1000}
   * @returns How the connection ended.
   */
  close(code: number = CloseCode.Normal): Promise<CloseInfo> {
    if (this.#ws.readyState < 2) {
      try {
        this.#ws.close(code);
      } catch {
        // already closing
      }
    }
    return this.#closed.promise;
  }

  #receive(frame: ServerFrame): void {
    if (frame.type === "welcome") this.#welcome.resolve(frame);
    else if (frame.type === "error" && frame.id === AUTH_ID) {
      this.#welcome.reject(
        new RealtimeError(frame.code, `The hub refused the token: ${frame.message}`, {
          retry: frame.retry,
        }),
      );
    }
    if (this.#requests.answer(frame)) return;
    this.#onFrame?.(frame);
  }
}

function openSocket(options: ConnectionOptions): WebSocket {
  const via = options.tokenVia ?? "subprotocol";
  const token = options.token;
  const WebSocket = options.WebSocket ?? globalThis.WebSocket;
  const url = new URL(options.url);
  // Batching first: readFrames splits every message on "\n".
  const offered = [SUBPROTOCOL_V1_BATCH, SUBPROTOCOL_V1];
  const protocols = token !== undefined && via === "subprotocol"
    ? [...offered, "auth", token]
    : offered;
  if (token !== undefined && via === "query") url.searchParams.set("token", token);
  try {
    return token !== undefined && via === "header"
      ? new WebSocket(url.href, {
        protocols,
        headers: { authorization: `Bearer ${token}` },
      } as unknown as string[])
      : new WebSocket(url.href, protocols);
  } catch (error) {
    throw via === "header" && token !== undefined
      ? new RealtimeError(
        "UNSUPPORTED",
        "Cannot send the token via 'header': this runtime's WebSocket does not accept headers (browsers do not); use \"subprotocol\"",
        { cause: error },
      )
      : new RealtimeError("UNSUPPORTED", "Cannot open a WebSocket", { cause: error });
  }
}
