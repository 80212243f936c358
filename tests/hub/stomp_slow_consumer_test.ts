// A slow STOMP reader is bounded as a slow protocol v1 reader is, through the
// adapter seam with a socket whose bufferedAmount the test sets: dropped with
// an ERROR and 4008 once what its socket holds plus what is queued would pass
// `maxBufferedBytes`, and not before.

import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { createHub } from "../../mod.ts";
import { mintToken } from "../../src/auth/mod.ts";

const secret = "slow-consumer-test-secret-of-32-bytes!";
const LIMIT = 10_000;

class TestSocket {
  sent: string[] = [];
  buffered = 0;
  closedWith: number | undefined;
  send(text: string): void {
    this.sent.push(text);
  }
  close(code?: number): void {
    this.closedWith ??= code;
  }
  get bufferedAmount(): number {
    return this.buffered;
  }
}

const flushed = () => new Promise<void>((resolve) => setImmediate(resolve));

Deno.test("a slow STOMP consumer is dropped with an ERROR and 4008 at maxBufferedBytes, not before", async () => {
  const hub = createHub({
    auth: { secret },
    acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["feed:*"] }] },
    limits: { maxBufferedBytes: LIMIT },
  });
  const token = await mintToken({ sub: "reader" }, { secret });
  const admission = await hub.admit(
    new Request("http://127.0.0.1/ws", {
      headers: {
        upgrade: "websocket",
        authorization: `Bearer ${token}`,
        "sec-websocket-protocol": "v12.stomp",
      },
    }),
  );
  assert.ok(admission.ok);
  assert.equal(admission.protocol, "v12.stomp");
  const socket = new TestSocket();
  const handler = hub.connect(socket, admission);
  handler.open();
  handler.message("CONNECT\naccept-version:1.2\n\n\0");
  handler.message("SUBSCRIBE\nid:s\ndestination:/topic/feed/x\nreceipt:r\n\n\0");
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
