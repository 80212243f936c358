// Reading server frames, and reading a token's expiry without verifying it.

import assert from "node:assert/strict";
import { readFrames } from "../../src/client/_frames.ts";
import { tokenExpiresAt } from "../../src/client/_token.ts";
import { mintToken } from "../../src/auth/mint.ts";

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

Deno.test("tokenExpiresAt reads exp in milliseconds and tolerates anything else", async () => {
  const now = 1_700_000_000_000;
  const token = await mintToken({ sub: "a" }, { secret: "x".repeat(32) }, {
    ttl: 60,
    now: () => now,
  });
  assert.equal(tokenExpiresAt(token), now + 60_000);
  for (const bad of ["", "a.b.c", "a.e30.c", "a.bm90IGpzb24.c", "only.two"]) {
    assert.equal(tokenExpiresAt(bad), undefined, bad);
  }
});
