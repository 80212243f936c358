// The slow-consumer check through the adapter seam (`admit` + `connect`, as a
// custom transport uses them), with a socket whose bufferedAmount the test
// sets: a consumer is dropped with 4008 once what its socket holds plus what
// is queued would pass `maxBufferedBytes`, and not before.

import assert from "node:assert/strict";
import { connectSlowReader, flushed, LIMIT } from "../_support/slow_consumer.ts";

async function subscribedSocket() {
  const { hub, socket, message, audited } = await connectSlowReader();
  message(JSON.stringify({ type: "subscribe", id: 1, topic: "feed:x" }));
  await flushed();
  assert.ok(socket.sent.some((f) => f.includes('"ack"')), "subscribed");
  return { hub, socket, audited };
}

Deno.test("a consumer is dropped with 4008 once its socket and queue would pass the limit", async () => {
  const { hub, socket, audited } = await subscribedSocket();
  const payload = "x".repeat(100);
  // Just under the limit with one more message: written, not dropped.
  await hub.publish("feed:x", payload);
  await flushed();
  const frame = socket.sent.at(-1)!;
  socket.buffered = LIMIT - frame.length;
  const sent = socket.sent.length;
  await hub.publish("feed:x", payload);
  await flushed();
  assert.equal(socket.sent.length, sent + 1);
  assert.equal(socket.closedWith, undefined);
  // One byte more held by the socket: the next flush drops the consumer instead of writing.
  socket.buffered = LIMIT - frame.length + 1;
  await hub.publish("feed:x", payload);
  await flushed();
  assert.equal(socket.sent.length, sent + 1, "nothing written to a slow consumer");
  assert.equal(socket.closedWith, 4008);
  assert.equal(hub.metrics.slowConsumerDrops, 1);
  assert.deepEqual(audited, ["slow_consumer"]);
  await hub.close();
});

Deno.test("maxBufferedBytes counts UTF-8 bytes: a multi-byte frame at the limit is written, one byte past it drops", async () => {
  const { hub, socket } = await subscribedSocket();
  // The frame's size around its payload, from an ASCII payload (one byte per unit).
  await hub.publish("feed:x", "a");
  await flushed();
  const overhead = socket.sent.at(-1)!.length - 1;
  // 2-byte "é" fills the limit exactly: LIMIT bytes, about LIMIT / 2 UTF-16 units.
  const half = (LIMIT - overhead) >> 1;
  const exact = "é".repeat(half) + "a".repeat(LIMIT - overhead - 2 * half);
  const sent = socket.sent.length;
  await hub.publish("feed:x", exact);
  await flushed();
  assert.equal(new TextEncoder().encode(socket.sent.at(-1)!).length, LIMIT);
  assert.equal(socket.sent.length, sent + 1);
  assert.equal(socket.closedWith, undefined);
  // One byte more: past the limit in bytes, still far under it in units.
  const over = exact + "a";
  assert.ok(overhead + over.length < LIMIT);
  await hub.publish("feed:x", over);
  await flushed();
  assert.equal(socket.sent.length, sent + 1, "the frame past the limit is not written");
  assert.equal(socket.closedWith, 4008);
  assert.equal(hub.metrics.slowConsumerDrops, 1);
  await hub.close();
});

Deno.test("maxBufferedBytes adds what the socket holds to the UTF-8 bytes queued", async () => {
  const { hub, socket } = await subscribedSocket();
  const payload = "€".repeat(1000); // 3 bytes, 1 unit each
  await hub.publish("feed:x", payload);
  await flushed();
  const bytes = new TextEncoder().encode(socket.sent.at(-1)!).length;
  const sent = socket.sent.length;
  socket.buffered = LIMIT - bytes;
  await hub.publish("feed:x", payload);
  await flushed();
  assert.equal(socket.sent.length, sent + 1, "written at the limit");
  socket.buffered = LIMIT - bytes + 1;
  await hub.publish("feed:x", payload);
  await flushed();
  assert.equal(socket.sent.length, sent + 1, "dropped one byte past it");
  assert.equal(socket.closedWith, 4008);
  await hub.close();
});
