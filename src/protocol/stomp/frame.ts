/**
 * STOMP 1.2 frames (https://stomp.github.io/stomp-specification-1.2.html):
 * a pure parser of what a client sends and an encoder of what the server
 * sends. A frame is a command line, header lines, a blank line, a body and
 * a NUL; end-of-lines are LF or CR LF; lines of end-of-lines alone are
 * heart-beats. Header names and values are escaped (`\r`, `\n`, `\c`, `\\`)
 * in every frame but `CONNECT` and `CONNECTED`, and an undefined escape is
 * an error. A `content-length` header gives the body's length in bytes, and
 * then the body may hold NULs.
 *
 * Over WebSocket a message holds one whole frame, possibly followed by
 * end-of-lines, or end-of-lines alone: the hub never waits for the rest of
 * a frame, so a frame without its NUL is an error, not a wait.
 *
 * @module
 */

import type { ErrorCode } from "../codes.ts";

/** The commands a client may send. */
export const STOMP_CLIENT_COMMANDS: readonly string[] = Object.freeze([
  "CONNECT",
  "STOMP",
  "SEND",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "ACK",
  "NACK",
  "BEGIN",
  "COMMIT",
  "ABORT",
  "DISCONNECT",
]);

/** One parsed frame. */
export interface StompFrame {
  /** The command, as sent (one of {@linkcode STOMP_CLIENT_COMMANDS}). */
  readonly command: string;
  /** The headers, unescaped; of a repeated header only the first is kept, as the specification says. */
  readonly headers: ReadonlyMap<string, string>;
  /** The body, as UTF-8 text. */
  readonly body: string;
}

/** Bounds applied to every frame a client sends. */
export interface StompLimits {
  /**
   * Largest frame (the whole WebSocket message), in UTF-8 bytes.
   *
   * @default {65536}
   */
  maxFrameBytes: number;
  /**
   * Most header lines in one frame, repeated ones included.
   *
   * @default {32}
   */
  maxHeaders: number;
  /**
   * Longest header line (name, colon and value, escaped), in UTF-16 units.
   *
   * @default {8192}
   */
  maxHeaderLength: number;
  /**
   * Largest body, in UTF-8 bytes.
   *
   * @default {65536}
   */
  maxBodyBytes: number;
}

/** The default {@linkcode StompLimits}. */
export const DEFAULT_STOMP_LIMITS: Readonly<StompLimits> = Object.freeze({
  maxFrameBytes: 64 * 1024,
  maxHeaders: 32,
  maxHeaderLength: 8 * 1024,
  maxBodyBytes: 64 * 1024,
});

/** What {@linkcode parseStompFrame} found. */
export type StompParseResult =
  | { ok: true; frame: StompFrame }
  | { ok: true; frame: undefined }
  | { ok: false; code: ErrorCode; message: string; headers?: ReadonlyMap<string, string> };

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });
const ENCODER = new TextEncoder();

/**
 * Parses one WebSocket message as a client's STOMP frame. Never throws:
 * every problem is an error result with a stable code (`TOO_LARGE` past a
 * limit, `BAD_REQUEST` otherwise) and a message naming what was wrong.
 * A message of end-of-lines alone is a heart-beat (`frame` undefined).
 * When the headers were read before the problem was found, they come with
 * the error, so the answer can carry the frame's `receipt`.
 *
 * @param data The message: text, or bytes that must be UTF-8.
 * @param limits Size and count bounds.
 * @returns The frame, a heart-beat, or the error.
 *
 * @example Parse a SEND frame
 * ```ts
 * import { DEFAULT_STOMP_LIMITS, parseStompFrame } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * const result = parseStompFrame("SEND\ndestination:/topic/chat/lobby\n\nhi\0", DEFAULT_STOMP_LIMITS);
 * assert.ok(result.ok && result.frame !== undefined);
 * assert.equal(result.frame.command, "SEND");
 * assert.equal(result.frame.headers.get("destination"), "/topic/chat/lobby");
 * assert.equal(result.frame.body, "hi");
 * ```
 */
export function parseStompFrame(data: unknown, limits: StompLimits): StompParseResult {
  let text: string;
  if (typeof data === "string") {
    // UTF-16 length bounds the UTF-8 size from below, and times three from above.
    if (
      data.length > limits.maxFrameBytes ||
      (data.length * 3 > limits.maxFrameBytes && utf8Length(data) > limits.maxFrameBytes)
    ) {
      return tooLarge(`Frame is larger than ${limits.maxFrameBytes} bytes`);
    }
    text = data;
  } else {
    const bytes = data instanceof Uint8Array
      ? data
      : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : undefined;
    if (bytes === undefined) return bad("Frame is neither text nor bytes");
    if (bytes.length > limits.maxFrameBytes) {
      return tooLarge(`Frame is larger than ${limits.maxFrameBytes} bytes`);
    }
    try {
      text = STRICT_UTF8.decode(bytes);
    } catch {
      return bad("Frame is not valid UTF-8");
    }
  }
  // Leading end-of-lines are heart-beats; a message of them alone is one.
  let pos = skipEols(text, 0);
  if (pos < 0) return bad("Frame has a CR not followed by LF");
  if (pos === text.length) return { ok: true, frame: undefined };
  // Stray CRs, NULs in headers and escapes are each found by one search
  // ahead of the line being read, not by searching every line.
  let cr = text.indexOf("\r", pos);
  // The command line.
  let eol = text.indexOf("\n", pos);
  if (eol < 0) return bad("Frame has no end of line after its command");
  let stop = lineEnd(text, pos, eol);
  if (cr >= 0 && cr < stop) return bad("Frame's command line has a CR not followed by LF");
  if (stop === pos) return bad("Frame has no command");
  const command = text.slice(pos, stop);
  if (!STOMP_CLIENT_COMMANDS.includes(command)) {
    return bad(`Unknown command '${truncate(command)}'`);
  }
  const escaped = command !== "CONNECT" && command !== "STOMP";
  const headers = new Map<string, string>();
  let count = 0;
  pos = eol + 1;
  if (cr >= 0 && cr < pos) cr = text.indexOf("\r", pos);
  // The first NUL at or after the headers: a header line must end before it.
  const nul = text.indexOf("\0", pos);
  let backslash = escaped ? text.indexOf("\\", pos) : -1;
  for (;;) {
    eol = text.indexOf("\n", pos);
    if (eol < 0) return bad("Frame ends inside its headers: no blank line before the body");
    stop = lineEnd(text, pos, eol);
    if (cr >= 0 && cr < stop) return bad("Header line has a CR not followed by LF", headers);
    const start = pos;
    pos = eol + 1;
    if (cr >= 0 && cr < pos) cr = text.indexOf("\r", pos);
    if (stop === start) break;
    if (++count > limits.maxHeaders) {
      return tooLarge(`Frame has more than ${limits.maxHeaders} headers`, headers);
    }
    if (stop - start > limits.maxHeaderLength) {
      return tooLarge(
        `Header line is longer than ${limits.maxHeaderLength} characters`,
        headers,
      );
    }
    if (nul >= 0 && nul < stop) return bad("Header line holds a NUL", headers);
    const colon = text.indexOf(":", start);
    // Header lines are never echoed: one may hold a credential.
    if (colon < 0 || colon >= stop) return bad(`Header line ${count} has no colon`, headers);
    if (colon === start) return bad("Header line has an empty name", headers);
    let name: string | undefined = text.slice(start, colon);
    let value: string | undefined = text.slice(colon + 1, stop);
    if (backslash >= 0 && backslash < stop) {
      name = unescapeHeader(name);
      value = unescapeHeader(value);
      if (name === undefined || value === undefined) {
        return bad(
          `Header line ${count} has an undefined escape: only \\r, \\n, \\c and \\\\ are defined`,
          headers,
        );
      }
      backslash = text.indexOf("\\", pos);
    }
    if (!headers.has(name)) headers.set(name, value);
  }
  // The body: by content-length, or up to the first NUL.
  const declared = headers.get("content-length");
  let body: string;
  let end: number;
  if (declared !== undefined) {
    if (!/^[0-9]{1,10}$/.test(declared)) {
      return bad(
        `Header 'content-length' must be a non-negative integer, got '${truncate(declared)}'`,
        headers,
      );
    }
    const length = Number(declared);
    if (length > limits.maxBodyBytes) {
      return tooLarge(`Body is larger than ${limits.maxBodyBytes} bytes`, headers);
    }
    const rest = text.slice(pos);
    const ascii = isAscii(rest);
    const bytes = ascii ? undefined : ENCODER.encode(rest);
    const available = bytes?.length ?? rest.length;
    if (length >= available) {
      return bad(
        `Body is shorter than its content-length ${length}, or has no NUL after it`,
        headers,
      );
    }
    const terminator = bytes === undefined ? rest.charCodeAt(length) : bytes[length];
    if (terminator !== 0) {
      return bad(
        `Body does not end with a NUL after its content-length ${length}: the body is longer than declared`,
        headers,
      );
    }
    if (bytes === undefined) {
      body = rest.slice(0, length);
    } else {
      try {
        body = STRICT_UTF8.decode(bytes.subarray(0, length));
      } catch {
        return bad("Body's content-length cuts a UTF-8 character", headers);
      }
    }
    end = pos + body.length + 1;
  } else {
    if (nul < 0) return bad("Frame has no NUL terminator", headers);
    body = text.slice(pos, nul);
    if (
      body.length > limits.maxBodyBytes / 3 && ENCODER.encode(body).length > limits.maxBodyBytes
    ) {
      return tooLarge(`Body is larger than ${limits.maxBodyBytes} bytes`, headers);
    }
    end = nul + 1;
  }
  const after = skipEols(text, end);
  if (after !== text.length) {
    return bad(
      "Message holds more after the frame's NUL than end-of-lines: send one frame per message",
      headers,
    );
  }
  return { ok: true, frame: { command, headers, body } };
}

/**
 * Encodes a frame the server sends: the command, the headers in order
 * (escaped unless the command is `CONNECTED`), a `content-length` when there
 * is a body, the body and the NUL.
 *
 * @param command The command (`CONNECTED`, `MESSAGE`, `RECEIPT`, `ERROR`).
 * @param headers Header names and values, in order.
 * @param body The body, or `""`.
 * @returns The frame's text.
 *
 * @example Encode a RECEIPT
 * ```ts
 * import { encodeStompFrame } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodeStompFrame("RECEIPT", [["receipt-id", "r:1"]], ""), "RECEIPT\nreceipt-id:r\\c1\n\n\0");
 * ```
 */
export function encodeStompFrame(
  command: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: string,
): string {
  const escape = command !== "CONNECTED";
  let text = command + "\n";
  for (const [name, value] of headers) {
    text += escape ? `${escapeHeader(name)}:${escapeHeader(value)}\n` : `${name}:${value}\n`;
  }
  if (body.length > 0) text += `content-length:${utf8Length(body)}\n`;
  return text + "\n" + body + "\0";
}

/**
 * Escapes a header name or value as STOMP 1.2 defines: `\` as `\\`, CR as
 * `\r`, LF as `\n`, `:` as `\c`.
 *
 * @param value The raw text.
 * @returns The escaped text.
 *
 * @example Escape a colon
 * ```ts
 * import { escapeHeader } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeHeader("a:b\n"), "a\\cb\\n");
 * ```
 */
export function escapeHeader(value: string): string {
  if (!/[\\\r\n:]/.test(value)) return value;
  return value.replace(/[\\\r\n:]/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\r": "\\r", "\n": "\\n", ":": "\\c" };
const UNESCAPES: Record<string, string> = { "\\": "\\", r: "\r", n: "\n", c: ":" };

/**
 * Unescapes a header name or value; `undefined` when it holds an undefined
 * escape (a `\` followed by anything but `r`, `n`, `c` or `\`, or at the end).
 *
 * @param value The escaped text.
 * @returns The raw text, or `undefined`.
 *
 * @example Unescape, and refuse an undefined escape
 * ```ts
 * import { unescapeHeader } from "@realtime/hub/protocol";
 * import assert from "node:assert/strict";
 *
 * assert.equal(unescapeHeader("a\\cb"), "a:b");
 * assert.equal(unescapeHeader("a\\tb"), undefined);
 * ```
 */
export function unescapeHeader(value: string): string | undefined {
  if (!value.includes("\\")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = UNESCAPES[value[++i]];
    if (next === undefined) return undefined;
    out += next;
  }
  return out;
}

/** Where the line from `start` to the LF at `eol` ends: before its CR, if it has one. */
function lineEnd(text: string, start: number, eol: number): number {
  return eol > start && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
}

/** The position after the end-of-lines at `pos`; -1 at a CR without its LF. */
function skipEols(text: string, pos: number): number {
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c === 10) pos++;
    else if (c === 13) {
      if (text.charCodeAt(pos + 1) !== 10) return -1;
      pos += 2;
    } else break;
  }
  return pos;
}

function isAscii(text: string): boolean {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text);
}

function utf8Length(text: string): number {
  return isAscii(text) ? text.length : ENCODER.encode(text).length;
}

function truncate(text: string): string {
  return text.length <= 32 ? text : `${text.slice(0, 32)}...`;
}

function bad(
  message: string,
  headers?: ReadonlyMap<string, string>,
): StompParseResult {
  return headers === undefined
    ? { ok: false, code: "BAD_REQUEST", message }
    : { ok: false, code: "BAD_REQUEST", message, headers };
}

function tooLarge(message: string, headers?: ReadonlyMap<string, string>): StompParseResult {
  return headers === undefined
    ? { ok: false, code: "TOO_LARGE", message }
    : { ok: false, code: "TOO_LARGE", message, headers };
}
