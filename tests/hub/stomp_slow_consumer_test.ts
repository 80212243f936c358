// A slow STOMP reader is bounded as a slow protocol v1 reader is, through the
// adapter seam with a socket whose bufferedAmount the test sets: dropped with
// an ERROR and 4008 once what its socket holds plus what is queued would pass
// `maxBufferedBytes`, and not before.

import assert from "node:assert/strict";
import { connectSlowReader, flushed, LIMIT } from "../_support/slow_consumer.ts";

Deno.test("a slow STOMP consumer is dropped with an ERROR and 4008 at maxBufferedBytes, not before", async () => {
  const { hub, socket, message, protocol } = await connectSlowReader("v12.stomp");
  assert.equal(protocol, "v12.stomp");
  message("CONNECT\naccept-version:1.2\n\n\0");
  message("SUBSCRIBE\nid:s\ndestination:/topic/feed/x\nreceipt:r\n\n\0");
  await flushed();
  await flushed();
  assert.match(socket.sent.join(""), /RECEIPT\nreceipt-id:r\n/);
  const payload = "x".repeat(100);
  await hub.publish("feed:x", payload);
  await flushed();
  const frame = socket.sent.at(-1)!;
  assert.match(frame, /^MESSAGE\n/);
  socket.buffered = LIMIT - frame.length;
  const sent = socket.sent.length;
  await hub.publish("feed:x", payload);
  await flushed();
  assert.equal(socket.sent.length, sent + 1);
  assert.equal(socket.closedWith, undefined);
  socket.buffered = LIMIT - frame.length + 1;
  await hub.publish("feed:x", payload);
  await flushed();
  assert.equal(socket.closedWith, 4008);
  assert.match(socket.sent.at(-1)!, /^ERROR\nmessage:Slow consumer\n/);
  assert.ok(!socket.sent.slice(sent + 1).some((f) => f.startsWith("MESSAGE")));
  assert.equal(hub.metrics.slowConsumerDrops, 1);
  await hub.close();
});
