// Reading server frames.

import assert from "node:assert/strict";
import { readFrames } from "../../src/client/_frames.ts";

Deno.test("readFrames splits newline-delimited frames in one message", () => {
  const text = [
    '{"type":"ack","id":1}',
    '{"type":"message","topic":"chat:a","payload":{"x":"a\\nb"},"from":"bob","ts":5}',
    "",
    '{"type":"pong","id":"p"}',
  ].join("\n");
  assert.deepEqual(readFrames(text), [
    { type: "ack", id: 1 },
    { type: "message", topic: "chat:a", payload: { x: "a\nb" }, from: "bob", ts: 5 },
    { type: "pong", id: "p" },
  ]);
});

Deno.test("readFrames drops what is not a well-formed server frame", () => {
  const table: unknown[] = [
    "not json",
    "[1,2]",
    "null",
    '{"no":"type"}',
    '{"type":"future_frame"}',
    '{"type":"message","topic":7,"ts":1}',
    '{"type":"welcome","connectionId":"c"}',
    '{"type":"ack","id":{"nested":true}}',
    '{"type":"token_expiring","expiresAt":"soon"}',
    new Uint8Array([123, 125]),
  ];
  for (const data of table) assert.deepEqual(readFrames(data), [], String(data));
  assert.deepEqual(readFrames('garbage\n{"type":"ack","id":2}'), [{ type: "ack", id: 2 }]);
});
