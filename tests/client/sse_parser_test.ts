import assert from "node:assert/strict";
import { createSseParser, type ServerSentEvent } from "../../src/client/sse_parser.ts";

Deno.test("createSseParser reads events split anywhere, skipping comments and retry", () => {
  const text =
    'retry: 2000\n\nevent: welcome\nid: x:1\ndata: {"a":1}\n\n:\n\ndata: one\r\ndata: two\r\n\nevent: close\ndata:{"code":4001}\n\n';
  for (const size of [1, 2, 7, text.length]) {
    const events: ServerSentEvent[] = [];
    const feed = createSseParser((e) => events.push(e));
    for (let i = 0; i < text.length; i += size) feed(text.slice(i, i + size));
    assert.deepEqual(events, [
      { event: "welcome", data: '{"a":1}' },
      { event: "message", data: "one\ntwo" },
      { event: "close", data: '{"code":4001}' },
    ], `chunks of ${size}`);
  }
});

Deno.test("createSseParser refuses an event larger than its bound", () => {
  const feed = createSseParser(() => {}, 10);
  assert.throws(() => feed("data: " + "x".repeat(20)), RangeError);
});
