/**
 * RFC 6455 framing for the server side of a WebSocket, with no I/O: a parser
 * for what a client sends (masked frames, fragmented messages, control
 * frames between fragments) that reports messages and protocol errors to a
 * sink, and the encoders for what a server sends (unmasked frames). The
 * `node:http` adapter drives it from a socket's `data` events
 * (`_ws_socket.ts`).
 *
 * No extension is ever negotiated, so every RSV bit set is an error, and
 * errors carry the close codes `ws` sends for them, so a client sees the
 * same closes as before the adapter had its own framing: 1002 for a
 * protocol error, 1007 for a text message that is not UTF-8, 1008 for too
 * many fragments, 1009 for a message past the size bound.
 *
 * @module
 */

/** Opcodes (RFC 6455 §5.2). */
export const OP_CONTINUATION = 0x0;
/** A text frame's opcode. */
export const OP_TEXT = 0x1;
/** A binary frame's opcode. */
export const OP_BINARY = 0x2;
/** A close frame's opcode. */
export const OP_CLOSE = 0x8;
/** A ping frame's opcode. */
export const OP_PING = 0x9;
/** A pong frame's opcode. */
export const OP_PONG = 0xa;

/** The close code reported when a close frame carried none (RFC 6455 §7.1.5). */
export const NO_STATUS = 1005;

/** What the parser reports, in the order the frames arrived. */
export interface FrameSink {
  /** A whole text message, decoded. */
  onText(data: string): void;
  /** A whole binary message. */
  onBinary(data: Uint8Array): void;
  /** A ping, with its payload (a copy) to echo in the pong. */
  onPing(payload: Uint8Array): void;
  /** A pong. */
  onPong(): void;
  /** The peer's close frame: its code (1005 when it had none) and reason. */
  onClose(code: number, reason: string): void;
  /** A protocol error: close with this code; the parser reads nothing more. */
  onFail(code: number, reason: string): void;
}

/** The bounds a parser enforces. */
export interface FrameLimits {
  /** Most bytes in one message (all its fragments). */
  readonly maxPayload: number;
  /** Most fragments in one message; 0 for no bound. */
  readonly maxFragments: number;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Whether a close frame may carry this code (RFC 6455 §7.4: the reserved
 * 1004-1006 and 1015 never travel; 3000-4999 are for libraries and
 * applications).
 *
 * @param code The code read from a close frame.
 * @returns Whether it is one a peer may send.
 *
 * @example The reserved codes are refused
 * ```ts ignore
 * isValidCloseCode(1000); // true
 * isValidCloseCode(1005); // false
 * isValidCloseCode(4001); // true
 * ```
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999);
}

/** A frame split across chunks: its bytes so far, and how many it needs to be read further. */
interface UnfinishedFrame {
  readonly chunks: Uint8Array[];
  bytes: number;
  readonly need: number;
}

/** A fragmented message: its fragments so far (copies), their opcode and size. */
interface FragmentedMessage {
  readonly parts: Uint8Array[];
  readonly opcode: number;
  bytes: number;
}

/**
 * Reads a client's frames from the chunks a socket delivers. A frame split
 * across chunks waits until it is whole; the bytes kept meanwhile are copied
 * out of the chunk, so an idle connection never pins a socket's read
 * buffer. Once it reported a close or an error it reads nothing more.
 *
 * Between frames its state is four fields: what an unfinished frame or a
 * fragmented message needs is one object each, made when one starts. Every
 * idle connection holds a parser (`ServerWebSocket` is one).
 */
export class FrameParser {
  #limits: FrameLimits;
  /** An unfinished frame, while one waits for more bytes. */
  #unfinished: UnfinishedFrame | undefined = undefined;
  /** A fragmented message, while its final fragment has not arrived. */
  #fragmented: FragmentedMessage | undefined = undefined;
  #done = false;

  /** @param limits The size and fragment bounds, shared by a server's parsers. */
  constructor(limits: FrameLimits) {
    this.#limits = limits;
  }

  /**
   * Parses a chunk and reports what it completes.
   *
   * @param chunk Bytes as the socket delivered them; unmasked in place.
   * @param sink Where messages, control frames and errors go.
   */
  push(chunk: Uint8Array, sink: FrameSink): void {
    if (this.#done || chunk.byteLength === 0) return;
    let buf = chunk;
    const unfinished = this.#unfinished;
    if (unfinished !== undefined) {
      unfinished.chunks.push(chunk);
      unfinished.bytes += chunk.byteLength;
      if (unfinished.bytes < unfinished.need) return;
      buf = concat(unfinished.chunks, unfinished.bytes);
      this.#unfinished = undefined;
    }
    let at = 0;
    while (!this.#done) {
      const need = FrameParser.#frame(this, buf, at, sink);
      if (need > 0) {
        // Unfinished: keep a copy of the rest, not a view of the chunk.
        if (at < buf.byteLength) {
          this.#unfinished = { chunks: [buf.slice(at)], bytes: buf.byteLength - at, need };
        }
        return;
      }
      at = -need;
      if (at === buf.byteLength) return;
    }
  }

  /**
   * Reads one frame at `at`. This and the steps below are static: a class
   * with a private instance method gives each instance a field to tell it
   * by, 8 bytes on every connection.
   *
   * @returns The bytes needed to read it when it is unfinished (> 0), else
   * minus the offset after it (<= 0).
   */
  static #frame(parser: FrameParser, buf: Uint8Array, at: number, sink: FrameSink): number {
    const available = buf.byteLength - at;
    if (available < 2) return 2;
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    if ((b0 & 0x70) !== 0) return FrameParser.#fail(parser, sink, 1002, "RSV bits must be clear");
    if ((b1 & 0x80) === 0) {
      return FrameParser.#fail(parser, sink, 1002, "Client frames must be masked");
    }
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (available < 4) return 4;
      length = (buf[at + 2]! << 8) | buf[at + 3]!;
      header = 4;
    } else if (length === 127) {
      if (available < 10) return 10;
      const high = ((buf[at + 2]! << 24) >>> 0) + (buf[at + 3]! << 16) + (buf[at + 4]! << 8) +
        buf[at + 5]!;
      const low = ((buf[at + 6]! << 24) >>> 0) + (buf[at + 7]! << 16) + (buf[at + 8]! << 8) +
        buf[at + 9]!;
      // Past any bound a server sets (and past 2^53, which a number cannot hold).
      if (high > 0x1fffff) return FrameParser.#fail(parser, sink, 1009, "Message too big");
      length = high * 0x1_0000_0000 + low;
      header = 10;
    }
    if (opcode >= OP_CLOSE) {
      if (opcode > OP_PONG) {
        return FrameParser.#fail(parser, sink, 1002, `Invalid opcode ${opcode}`);
      }
      if (!fin) {
        return FrameParser.#fail(parser, sink, 1002, "Control frames must not be fragmented");
      }
      if (length > 125 || (opcode === OP_CLOSE && length === 1)) {
        return FrameParser.#fail(parser, sink, 1002, `Invalid control frame length ${length}`);
      }
    } else if (opcode === OP_CONTINUATION) {
      if (parser.#fragmented === undefined) {
        return FrameParser.#fail(
          parser,
          sink,
          1002,
          "Continuation frame without a message to continue",
        );
      }
    } else if (opcode === OP_TEXT || opcode === OP_BINARY) {
      if (parser.#fragmented !== undefined) {
        return FrameParser.#fail(parser, sink, 1002, "New message before the fragmented one ended");
      }
    } else return FrameParser.#fail(parser, sink, 1002, `Invalid opcode ${opcode}`);
    if (
      opcode < OP_CLOSE && (parser.#fragmented?.bytes ?? 0) + length > parser.#limits.maxPayload
    ) {
      return FrameParser.#fail(parser, sink, 1009, "Message too big");
    }
    const start = at + header + 4;
    const end = start + length;
    if (buf.byteLength < end) return end - at;
    const payload = buf.subarray(start, end);
    unmask(payload, buf, at + header);
    if (opcode >= OP_CLOSE) FrameParser.#control(parser, opcode, payload, sink);
    else FrameParser.#data(parser, opcode, fin, payload, sink);
    return -end;
  }

  static #control(parser: FrameParser, opcode: number, payload: Uint8Array, sink: FrameSink): void {
    if (opcode === OP_PING) return sink.onPing(payload.slice());
    if (opcode === OP_PONG) return sink.onPong();
    if (payload.byteLength === 0) {
      parser.#done = true;
      return sink.onClose(NO_STATUS, "");
    }
    const code = (payload[0]! << 8) | payload[1]!;
    if (!isValidCloseCode(code)) {
      FrameParser.#fail(parser, sink, 1002, `Invalid close code ${code}`);
      return;
    }
    let reason: string;
    try {
      reason = UTF8.decode(payload.subarray(2));
    } catch {
      FrameParser.#fail(parser, sink, 1007, "Close reason is not valid UTF-8");
      return;
    }
    parser.#done = true;
    sink.onClose(code, reason);
  }

  static #data(
    parser: FrameParser,
    opcode: number,
    fin: boolean,
    payload: Uint8Array,
    sink: FrameSink,
  ): void {
    let message = payload;
    let fragmented = parser.#fragmented;
    if (fragmented !== undefined || !fin) {
      fragmented ??= parser.#fragmented = { parts: [], opcode, bytes: 0 };
      const max = parser.#limits.maxFragments;
      if (max > 0 && fragmented.parts.length >= max) {
        FrameParser.#fail(parser, sink, 1008, "Too many message fragments");
        return;
      }
      fragmented.parts.push(payload.slice());
      fragmented.bytes += payload.byteLength;
      if (!fin) return;
      message = concat(fragmented.parts, fragmented.bytes);
      opcode = fragmented.opcode;
      parser.#fragmented = undefined;
    }
    if (opcode === OP_BINARY) return sink.onBinary(message);
    let text: string;
    try {
      text = UTF8.decode(message);
    } catch {
      FrameParser.#fail(parser, sink, 1007, "Text message is not valid UTF-8");
      return;
    }
    sink.onText(text);
  }

  /** Reports an error and stops reading; returns 0 so the loop ends. */
  static #fail(parser: FrameParser, sink: FrameSink, code: number, reason: string): number {
    parser.#done = true;
    parser.#unfinished = undefined;
    parser.#fragmented = undefined;
    sink.onFail(code, reason);
    return 0;
  }
}

/** Unmasks `payload` in place with the 4-byte key at `buf[key]` (RFC 6455 §5.3). */
function unmask(payload: Uint8Array, buf: Uint8Array, key: number): void {
  const m0 = buf[key]!, m1 = buf[key + 1]!, m2 = buf[key + 2]!, m3 = buf[key + 3]!;
  const n = payload.byteLength;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    payload[i] ^= m0;
    payload[i + 1] ^= m1;
    payload[i + 2] ^= m2;
    payload[i + 3] ^= m3;
  }
  if (i < n) payload[i] ^= m0;
  if (i + 1 < n) payload[i + 1] ^= m1;
  if (i + 2 < n) payload[i + 2] ^= m2;
}

function concat(parts: Uint8Array[], bytes: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * The length of a server frame's header for a payload of `length` bytes
 * (unmasked: 2, 4 or 10 bytes).
 *
 * @param length The payload's length in bytes.
 * @returns The header's length in bytes.
 *
 * @example Three sizes
 * ```ts ignore
 * headerLength(125); // 2
 * headerLength(126); // 4
 * headerLength(65536); // 10
 * ```
 */
export function headerLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/**
 * Writes a final, unmasked frame's header at the start of `out`.
 *
 * @param out Where the header goes; `headerLength(length)` bytes are written.
 * @param opcode The frame's opcode.
 * @param length The payload's length in bytes.
 */
export function writeHeader(out: Uint8Array, opcode: number, length: number): void {
  out[0] = 0x80 | opcode;
  if (length < 126) {
    out[1] = length;
  } else if (length < 0x10000) {
    out[1] = 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = 127;
    const high = Math.floor(length / 0x1_0000_0000);
    out[2] = high >>> 24;
    out[3] = (high >>> 16) & 0xff;
    out[4] = (high >>> 8) & 0xff;
    out[5] = high & 0xff;
    out[6] = length >>> 24;
    out[7] = (length >>> 16) & 0xff;
    out[8] = (length >>> 8) & 0xff;
    out[9] = length & 0xff;
  }
}

/**
 * A whole control or data frame with a small payload, ready to write.
 *
 * @param opcode The frame's opcode.
 * @param payload Its payload.
 * @returns The frame's bytes.
 *
 * @example An empty ping
 * ```ts ignore
 * frame(OP_PING, new Uint8Array(0)); // Uint8Array [0x89, 0x00]
 * ```
 */
export function frame(opcode: number, payload: Uint8Array): Uint8Array {
  const header = headerLength(payload.byteLength);
  const out = new Uint8Array(header + payload.byteLength);
  writeHeader(out, opcode, payload.byteLength);
  out.set(payload, header);
  return out;
}

const ENCODER = new TextEncoder();

/**
 * A close frame with a code and a reason, the reason cut to fit the 125
 * bytes a control frame may carry (at a character boundary).
 *
 * @param code The close code; 1005 sends a close frame with no code.
 * @param reason Why, for people.
 * @returns The frame's bytes.
 *
 * @example Close a message that was too big
 * ```ts ignore
 * closeFrame(1009, "Message too big");
 * ```
 */
export function closeFrame(code: number, reason: string): Uint8Array {
  if (code === NO_STATUS) return frame(OP_CLOSE, new Uint8Array(0));
  let bytes = ENCODER.encode(reason);
  while (bytes.byteLength > 123) {
    reason = reason.slice(0, -1);
    bytes = ENCODER.encode(reason);
  }
  const payload = new Uint8Array(2 + bytes.byteLength);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(bytes, 2);
  return frame(OP_CLOSE, payload);
}
