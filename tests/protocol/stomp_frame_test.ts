import assert from "node:assert/strict";
import {
  DEFAULT_STOMP_LIMITS,
  encodeStompFrame,
  escapeHeader,
  parseStompFrame,
  unescapeHeader,
} from "../../src/protocol/stomp/frame.ts";
import { MALFORMED_FRAMES, TABLE_LIMITS } from "../_support/stomp_malformed.ts";

function frame(data: unknown) {
  const result = parseStompFrame(data, DEFAULT_STOMP_LIMITS);
  if (!result.ok) throw new Error(`Expected a frame, got ${result.code}: ${result.message}`);
  return result.frame;
}

Deno.test("parseStompFrame answers every malformed frame of the table with its code and message", () => {
  assert.ok(MALFORMED_FRAMES.length >= 20);
  assert.deepEqual(TABLE_LIMITS, { ...DEFAULT_STOMP_LIMITS });
  for (const bad of MALFORMED_FRAMES) {
    const result = parseStompFrame(bad.data, DEFAULT_STOMP_LIMITS);
    assert.equal(result.ok, false, bad.name);
    if (result.ok) continue;
    assert.equal(result.code, bad.code, bad.name);
    assert.match(result.message, bad.message, bad.name);
  }
});

Deno.test("parseStompFrame reads command, headers and body", () => {
  const f = frame("SEND\r\ndestination:/topic/a\r\nreceipt:r1\r\n\r\nhello\0");
  assert.equal(f?.command, "SEND");
  assert.deepEqual([...f!.headers], [["destination", "/topic/a"], ["receipt", "r1"]]);
  assert.equal(f?.body, "hello");
});

Deno.test("parseStompFrame keeps the first of a repeated header", () => {
  const f = frame("SEND\ndestination:/topic/a\ndestination:/topic/b\n\n\0");
  assert.equal(f?.headers.get("destination"), "/topic/a");
});

Deno.test("parseStompFrame unescapes headers except in CONNECT and STOMP", () => {
  assert.equal(frame("SEND\nk\\cx:a\\cb\\\\c\\nd\\re\n\n\0")?.headers.get("k:x"), "a:b\\c\nd\re");
  assert.equal(frame("CONNECT\npasscode:a\\cb\n\n\0")?.headers.get("passcode"), "a\\cb");
  assert.equal(frame("STOMP\nlogin:a\\tb\n\n\0")?.headers.get("login"), "a\\tb");
});

Deno.test("parseStompFrame reads a body by content-length, NULs included", () => {
  const f = frame("SEND\ndestination:/topic/a\ncontent-length:5\n\na\0b\0c\0");
  assert.equal(f?.body, "a\0b\0c");
  const utf8 = frame("SEND\ndestination:/topic/a\ncontent-length:3\n\n\u00e9a\0");
  assert.equal(utf8?.body, "\u00e9a");
  const empty = frame("SEND\ndestination:/topic/a\ncontent-length:0\n\n\0");
  assert.equal(empty?.body, "");
});

Deno.test("parseStompFrame takes heart-beats and trailing end-of-lines", () => {
  assert.equal(frame("\n"), undefined);
  assert.equal(frame("\r\n\n"), undefined);
  assert.equal(frame("\nSEND\ndestination:/topic/a\n\nx\0\n\r\n")?.body, "x");
});

Deno.test("parseStompFrame reads UTF-8 bytes as it reads text", () => {
  const bytes = new TextEncoder().encode("SEND\ndestination:/topic/a\n\n\u00e9t\u00e9\0");
  assert.equal(frame(bytes)?.body, "\u00e9t\u00e9");
  assert.equal(frame(bytes.buffer as ArrayBuffer)?.body, "\u00e9t\u00e9");
});

Deno.test("parseStompFrame gives the headers read before the error, for the receipt", () => {
  const result = parseStompFrame(
    "SEND\nreceipt:77\ncontent-length:9\n\nab\0",
    DEFAULT_STOMP_LIMITS,
  );
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.headers?.get("receipt"), "77");
});

Deno.test("parseStompFrame accepts a frame exactly at the limits", () => {
  const limits = { maxFrameBytes: 40, maxHeaders: 2, maxHeaderLength: 12, maxBodyBytes: 10 };
  const f = parseStompFrame("SEND\na:1234567890\nb:1\n\n0123456789\0", limits);
  assert.equal(f.ok && f.frame?.body, "0123456789");
  const over = parseStompFrame("SEND\na:1\n\n01234567890\0", limits);
  assert.equal(!over.ok && over.code, "TOO_LARGE");
});

Deno.test("encodeStompFrame escapes headers, adds content-length in bytes, ends with NUL", () => {
  assert.equal(
    encodeStompFrame("MESSAGE", [["destination", "/topic/a:b"], ["x\n", "\\"]], "\u00e9"),
    "MESSAGE\ndestination:/topic/a\\cb\nx\\n:\\\\\ncontent-length:2\n\n\u00e9\0",
  );
  assert.equal(
    encodeStompFrame("CONNECTED", [["server", "a:b"]], ""),
    "CONNECTED\nserver:a:b\n\n\0",
  );
});

Deno.test("encodeStompFrame's output parses back to the same headers and body", () => {
  const headers: [string, string][] = [["destination", "/topic/x:y\\z\r\n"], ["receipt", "1"]];
  const text = encodeStompFrame("SEND", headers, "body\0with nul");
  const f = frame(text);
  assert.deepEqual([...f!.headers].slice(0, 2), headers);
  assert.equal(f?.body, "body\0with nul");
});

Deno.test("escapeHeader and unescapeHeader are inverses", () => {
  for (const value of ["", "plain", "a:b", "\\", "\r\n", "x\\cy"]) {
    assert.equal(unescapeHeader(escapeHeader(value)), value);
  }
});

Deno.test("parseStompFrame never echoes a header line, which may hold a credential", () => {
  for (const data of ["CONNECT\npasscode eyJ.secret.sig\n\n\0", "SEND\nx:eyJ.secret\\t\n\n\0"]) {
    const result = parseStompFrame(data, DEFAULT_STOMP_LIMITS);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && !result.message.includes("secret"), !result.ok ? result.message : "");
  }
});
