import assert from "node:assert/strict";
import { messageBytes, utf8ByteLength } from "../../src/hub/codec/utf8.ts";

Deno.test("utf8ByteLength agrees with TextEncoder on ASCII, 2-, 3- and 4-byte text and lone surrogates", () => {
  const samples = [
    "",
    "plain ascii",
    "é",
    "ü€",
    "漢字",
    "😀",
    "a😀b",
    "\ud800",
    "\udc00x",
    "x\ud83d",
    "mixed é € 😀 \ud800 end",
  ];
  for (const text of samples) {
    assert.equal(utf8ByteLength(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
});

Deno.test("messageBytes sizes text, binary and chunked binary messages", () => {
  assert.equal(messageBytes("é"), 2);
  assert.equal(messageBytes(new Uint8Array(7)), 7);
  assert.equal(messageBytes(new ArrayBuffer(5)), 5);
  assert.equal(messageBytes([new Uint8Array(3), new Uint8Array(4)]), 7);
  assert.equal(messageBytes(undefined), 0);
});

Deno.test("utf8ByteLength measures long text, ASCII or not anywhere in it", () => {
  const long = "a".repeat(100_000);
  for (const text of [long, `${long}é`, `é${long}`, `${long}😀${long}`, `${long}\ud800`]) {
    assert.equal(utf8ByteLength(text), new TextEncoder().encode(text).length);
  }
});
