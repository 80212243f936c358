/**
 * A server-side WebSocket on a `node:net` socket that `node:http` handed
 * over at an upgrade: the handshake's answer, RFC 6455 frames read by
 * `FrameParser` (`_ws_frames.ts`) and written here, the closing handshake
 * and the heartbeat's ping. It replaces npm `ws` in the adapter because an
 * idle connection is what a hub holds most of: `ws` keeps a `WebSocket`
 * (an EventEmitter), a `Receiver` (a Writable stream) and a `Sender` per
 * socket, about 1 KiB of heap, where this keeps two small objects
 * (`bench/heap_breakdown.ts` shows the difference; `docs/performance.md`).
 *
 * What it does not do: extensions (permessage-deflate is never
 * negotiated, as the adapter never enabled it), or a client's side.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { Duplex } from "node:stream";
import {
  closeFrame,
  frame,
  type FrameLimits,
  FrameParser,
  type FrameSink,
  headerLength,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  writeHeader,
} from "./_ws_frames.ts";
import { append, type Linked, members, unlink } from "./_ring.ts";

/** What a socket tells its owner. */
export interface WsEvents {
  /** A whole message: text as a string, binary as bytes. */
  message(data: string | Uint8Array): void;
  /** The connection ended, with the close code (1006 when no close frame was exchanged). */
  close(code: number): void;
}

/** How long a closing socket waits for the peer's close frame before it is destroyed. */
export const CLOSE_TIMEOUT_MS = 30_000;

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const EMPTY = new Uint8Array(0);
/** Where a net socket keeps its WebSocket, for the listeners every socket shares. */
const OWNER = Symbol("realtime.ws");

/**
 * The `Sec-WebSocket-Accept` value for a client's key (RFC 6455 §4.2.2).
 *
 * @param key The client's `Sec-WebSocket-Key`.
 * @returns The base64 SHA-1 of the key and the protocol's GUID.
 *
 * @example The RFC's own example
 * ```ts ignore
 * acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/**
 * The 101 answer that completes a handshake.
 *
 * @param key The client's `Sec-WebSocket-Key` (already checked).
 * @param protocol The subprotocol chosen, if any.
 * @returns The response head, ready to write.
 */
export function switchingProtocols(key: string, protocol: string | undefined): string {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n` +
    (protocol === undefined ? "" : `Sec-WebSocket-Protocol: ${protocol}\r\n`) + "\r\n";
}

type Owned = Duplex & {
  allowHalfOpen: boolean;
  [OWNER]?: ServerWebSocket;
  setNoDelay?(noDelay: boolean): unknown;
  setTimeout?(ms: number): unknown;
};

/**
 * A server's WebSocket over an upgraded socket. It is its own frame parser
 * and the parser's sink: the pure parser stays a class of its own
 * (`_ws_frames.ts`), and an idle connection holds one object for both, not
 * two (the second's header and the reference to it, about 32 bytes).
 */
export class ServerWebSocket extends FrameParser implements FrameSink {
  #socket: Owned;
  /** The hub's side. */
  events: WsEvents | undefined = undefined;
  /**
   * Its neighbours in its server's ring of open sockets ({@linkcode OpenSockets}),
   * itself while in none: two fields, where a `Set` of the server's sockets
   * cost an entry of about 31 bytes and a field to find the set by.
   */
  prev: Linked = this;
  next: Linked = this;
  /** Whether the peer answered the last heartbeat ping (or is new). */
  alive = true;
  /** Made when it stops being open: an open socket holds one field, `undefined`, for its close. */
  #closing: Closing | undefined = undefined;

  /**
   * Takes over a socket whose 101 answer was written.
   *
   * @param socket The upgraded socket.
   * @param head Bytes read past the request's head (frames sent early).
   * @param limits The message bounds, shared by the server's sockets.
   */
  constructor(socket: Duplex, head: Uint8Array, limits: FrameLimits) {
    super(limits);
    this.#socket = socket as Owned;
    this.#socket[OWNER] = this;
    this.#socket.setTimeout?.(0);
    this.#socket.setNoDelay?.(true);
    this.#socket.on("data", onData);
    // A peer that ends its side (after its close frame or without one) gets
    // ours ended too: the stream does it for a socket that is not half-open,
    // with no listener of our own on the socket.
    this.#socket.allowHalfOpen = false;
    this.#socket.on("close", onClose);
    this.#socket.on("error", onError);
    if (head.byteLength > 0) this.read(head);
  }

  /** Bytes written but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  /** Sends a text message; dropped once closing, as a browser's WebSocket does. */
  send(text: string): void {
    if (this.#closing !== undefined) return;
    const length = Buffer.byteLength(text);
    const header = headerLength(length);
    const out = Buffer.allocUnsafe(header + length);
    writeHeader(out, OP_TEXT, length);
    out.write(text, header, "utf8");
    this.#socket.write(out);
  }

  /**
   * Sends bytes that are UTF-8 text as a text message. A fan-out hands every
   * subscriber the same bytes (`SharedBatch`), so the frame made for them
   * is kept and the next socket given the same bytes writes the same frame:
   * one frame per publication, not one per subscriber. Bytes, once sent,
   * are never changed (a socket's write queue holds them as they are).
   */
  sendBytes(bytes: Uint8Array): void {
    if (this.#closing !== undefined) return;
    if (bytes !== lastBytes) {
      const header = headerLength(bytes.byteLength);
      const out = Buffer.allocUnsafe(header + bytes.byteLength);
      writeHeader(out, OP_TEXT, bytes.byteLength);
      out.set(bytes, header);
      lastFrame = out;
      lastBytes = bytes;
    }
    this.#socket.write(lastFrame!);
  }

  /** Sends an empty ping. */
  ping(): void {
    if (this.#closing === undefined) this.#socket.write(PING);
  }

  /**
   * Starts the closing handshake: a close frame, then the peer's answer or,
   * past `CLOSE_TIMEOUT_MS`, the end of the socket.
   */
  close(code: number, reason: string): void {
    if (this.#closing !== undefined) return;
    const closing = this.#closing = new Closing(code);
    this.#socket.write(closeFrame(code, reason));
    closing.timer = setTimeout(destroy, CLOSE_TIMEOUT_MS, this.#socket);
  }

  /** Ends the connection now, without a closing handshake. */
  terminate(): void {
    this.#socket.destroy();
  }

  // What the parser read (FrameSink).

  /** A text message, while open. */
  onText(data: string): void {
    if (this.#closing === undefined) this.events?.message(data);
  }

  /** A binary message, while open. */
  onBinary(data: Uint8Array): void {
    if (this.#closing === undefined) this.events?.message(data);
  }

  /** A ping is answered with a pong carrying its payload (RFC 6455 §5.5.2). */
  onPing(payload: Uint8Array): void {
    if (this.#closing === undefined) this.#socket.write(frame(OP_PONG, payload));
  }

  /** A pong: the peer is alive. */
  onPong(): void {
    this.alive = true;
  }

  /**
   * The peer's close frame. When the peer opened the handshake it is
   * answered with the same code; either way the server then ends the TCP
   * connection, as the server should (RFC 6455 §7.1.1).
   */
  onClose(code: number): void {
    if (this.#closing === undefined) {
      this.#closing = new Closing(code);
      this.#socket.write(closeFrame(code, ""));
    }
    ServerWebSocket.#end(this);
  }

  /**
   * A protocol error fails the connection (RFC 6455 §7.1.7): a close frame
   * with the error's code, then the end of the TCP connection, without
   * waiting for an answer (the parser reads nothing more).
   */
  onFail(code: number, reason: string): void {
    if (this.#closing === undefined) {
      this.#closing = new Closing(code);
      this.#socket.write(closeFrame(code, reason));
    }
    ServerWebSocket.#end(this);
  }

  /**
   * Ends the TCP connection; a peer that never ends its side is destroyed
   * after `CLOSE_TIMEOUT_MS`. Static: a class with a private instance
   * method gives each instance a field to tell it by (8 bytes per socket).
   */
  static #end(ws: ServerWebSocket): void {
    ws.#socket.end();
    const closing = ws.#closing!;
    closing.timer ??= setTimeout(destroy, CLOSE_TIMEOUT_MS, ws.#socket);
  }

  /** The socket closed: the hub hears it once, with the handshake's code or 1006. */
  closed(): void {
    // Closed without a close frame exchanged: 1006.
    const closing = this.#closing ??= new Closing(1006);
    if (closing.closed) return;
    closing.closed = true;
    if (closing.timer !== undefined) clearTimeout(closing.timer);
    // Out of its server's ring; its own links stay, so a walk standing on it goes on.
    unlink(this);
    this.events?.close(closing.code);
  }

  /** Parses bytes the socket read. */
  read(chunk: Uint8Array): void {
    this.push(chunk, this);
  }
}

const PING = frame(OP_PING, EMPTY);

/**
 * A server's open sockets, linked through the sockets themselves (`_ring.ts`):
 * a socket joins with `add` and leaves by itself when it closes. Iterating
 * while sockets close (`terminate` in the heartbeat) is safe.
 */
export class OpenSockets implements Iterable<ServerWebSocket> {
  readonly #head: Linked = { prev: undefined!, next: undefined! };

  constructor() {
    this.#head.prev = this.#head.next = this.#head;
  }

  /** Adds an open socket, last. */
  add(ws: ServerWebSocket): void {
    append(this.#head, ws);
  }

  [Symbol.iterator](): Iterator<ServerWebSocket> {
    return members<ServerWebSocket>(this.#head);
  }
}

/** A socket's close: made when it stops being open (by either side, or the TCP connection's end). */
class Closing {
  /** The code the connection closes with: the close frame's, or 1006 when none was exchanged. */
  readonly code: number;
  /** Destroys the socket when the peer does not end its side within `CLOSE_TIMEOUT_MS`. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Whether the socket closed (the hub heard it). */
  closed = false;

  constructor(code: number) {
    this.code = code;
  }
}

/** The bytes `sendBytes` framed last, and their frame (see `sendBytes`). */
let lastBytes: Uint8Array | undefined;
let lastFrame: Buffer | undefined;

// Listeners every socket shares (`this` is the net socket): an idle
// connection holds no closure of its own.
function onData(this: Owned, chunk: Uint8Array): void {
  this[OWNER]?.read(chunk);
}

function onClose(this: Owned): void {
  this[OWNER]?.closed();
}

function onError(): void {
  // Always followed by "close", which cleans up.
}

function destroy(socket: Duplex): void {
  socket.destroy();
}
