// The malformed STOMP frames every door must answer with an ERROR frame
// (STOMP 1.2: "If the server cannot successfully process [a frame], it
// MUST send an ERROR frame and then close the connection"). Shared by the
// parser's table test and the over-the-wire test against a real hub.

/** One malformed frame: what it is, the message, and the error it must get. */
export interface MalformedFrame {
  name: string;
  data: string | Uint8Array;
  code: "BAD_REQUEST" | "TOO_LARGE";
  message: RegExp;
}

const BIG = "x".repeat(70 * 1024);

/** Limits the table assumes (the hub's defaults). */
export const TABLE_LIMITS = {
  maxFrameBytes: 64 * 1024,
  maxHeaders: 32,
  maxHeaderLength: 8 * 1024,
  maxBodyBytes: 64 * 1024,
};

export const MALFORMED_FRAMES: readonly MalformedFrame[] = [
  {
    name: "missing command (headers first)",
    data: "destination:/topic/a\n\nhi\0",
    code: "BAD_REQUEST",
    message: /Unknown command/,
  },
  { name: "NUL alone", data: "\0", code: "BAD_REQUEST", message: /no end of line/ },
  {
    name: "empty command before headers",
    data: "\r\n\r\nx\n",
    code: "BAD_REQUEST",
    message: /has no end of line|no blank line|Unknown command/,
  },
  {
    name: "unknown command",
    data: "FOO\n\n\0",
    code: "BAD_REQUEST",
    message: /Unknown command 'FOO'/,
  },
  {
    name: "lower-case command",
    data: "send\ndestination:/topic/a\n\n\0",
    code: "BAD_REQUEST",
    message: /Unknown command 'send'/,
  },
  {
    name: "server command sent by a client",
    data: "MESSAGE\n\n\0",
    code: "BAD_REQUEST",
    message: /Unknown command 'MESSAGE'/,
  },
  {
    name: "command without end of line",
    data: "SEND",
    code: "BAD_REQUEST",
    message: /no end of line/,
  },
  {
    name: "no blank line after headers",
    data: "SEND\ndestination:/topic/a",
    code: "BAD_REQUEST",
    message: /no blank line/,
  },
  {
    name: "missing NUL terminator",
    data: "SEND\ndestination:/topic/a\n\nhello",
    code: "BAD_REQUEST",
    message: /no NUL terminator/,
  },
  {
    name: "content after the NUL",
    data: "SEND\ndestination:/topic/a\n\nhe\0llo\0",
    code: "BAD_REQUEST",
    message: /more after the frame's NUL/,
  },
  {
    name: "two frames in one message",
    data: "SEND\ndestination:/topic/a\n\na\0SEND\ndestination:/topic/a\n\nb\0",
    code: "BAD_REQUEST",
    message: /one frame per message/,
  },
  {
    name: "header without colon",
    data: "SEND\ndestination\n\n\0",
    code: "BAD_REQUEST",
    message: /has no colon/,
  },
  {
    name: "header with empty name",
    data: "SEND\n:x\n\n\0",
    code: "BAD_REQUEST",
    message: /empty name/,
  },
  {
    name: "undefined escape \\t",
    data: "SEND\ndestination:/topic/a\\tb\n\n\0",
    code: "BAD_REQUEST",
    message: /undefined escape/,
  },
  {
    name: "escape at the end of a value",
    data: "SEND\ndestination:/topic/a\\\n\n\0",
    code: "BAD_REQUEST",
    message: /undefined escape/,
  },
  {
    name: "undefined escape in a header name",
    data: "SEND\nde\\xst:/topic/a\n\n\0",
    code: "BAD_REQUEST",
    message: /undefined escape/,
  },
  {
    name: "stray CR in a header",
    data: "SEND\ndestination:/topic/a\rb\n\n\0",
    code: "BAD_REQUEST",
    message: /CR not followed by LF/,
  },
  {
    name: "NUL inside a header",
    data: "SEND\ndestination:/topic/\0a\n\n\0",
    code: "BAD_REQUEST",
    message: /NUL/,
  },
  {
    name: "content-length not a number",
    data: "SEND\ndestination:/topic/a\ncontent-length:abc\n\nabc\0",
    code: "BAD_REQUEST",
    message: /content-length' must be a non-negative integer/,
  },
  {
    name: "negative content-length",
    data: "SEND\ndestination:/topic/a\ncontent-length:-1\n\n\0",
    code: "BAD_REQUEST",
    message: /non-negative integer/,
  },
  {
    name: "content-length larger than the body",
    data: "SEND\ndestination:/topic/a\ncontent-length:10\n\nabc\0",
    code: "BAD_REQUEST",
    message: /shorter than its content-length/,
  },
  {
    name: "content-length smaller than the body",
    data: "SEND\ndestination:/topic/a\ncontent-length:2\n\nabc\0",
    code: "BAD_REQUEST",
    message: /longer than declared/,
  },
  {
    name: "content-length cutting a UTF-8 character",
    data: "SEND\ndestination:/topic/a\ncontent-length:1\n\n\u00e9\0",
    code: "BAD_REQUEST",
    message: /longer than declared|cuts a UTF-8 character/,
  },
  {
    name: "content-length over the body limit",
    data: "SEND\ndestination:/topic/a\ncontent-length:99999999\n\n\0",
    code: "TOO_LARGE",
    message: /Body is larger/,
  },
  {
    name: "oversize frame",
    data: `SEND\ndestination:/topic/a\n\n${BIG}\0`,
    code: "TOO_LARGE",
    message: /Frame is larger than 65536 bytes/,
  },
  {
    name: "too many headers",
    data: `SEND\n${Array.from({ length: 40 }, (_, i) => `h${i}:v`).join("\n")}\n\n\0`,
    code: "TOO_LARGE",
    message: /more than 32 headers/,
  },
  {
    name: "oversize header line",
    data: `SEND\ndestination:/topic/${"a".repeat(9000)}\n\n\0`,
    code: "TOO_LARGE",
    message: /Header line is longer than 8192/,
  },
  {
    name: "bytes that are not UTF-8",
    data: new Uint8Array([0x53, 0x45, 0x4e, 0x44, 0x0a, 0x0a, 0xff, 0xfe, 0x00]),
    code: "BAD_REQUEST",
    message: /not valid UTF-8/,
  },
  {
    name: "lone CR heart-beat",
    data: "\r",
    code: "BAD_REQUEST",
    message: /CR not followed by LF/,
  },
];
