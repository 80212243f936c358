// A client that keeps sending while the hub closes it still learns why: the
// close frame with the hub's code reaches it (not 1006), on both transports.

import assert from "node:assert/strict";
import { connectWelcomed, TestSocket, withTimeout } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";

/** Sends `frame` ten times a turn until the socket closes (at most `max` frames). */
async function keepSending(socket: TestSocket, frame: unknown, max = 20_000): Promise<number> {
  let sent = 0;
  let closed = false;
  socket.closed.then(() => closed = true);
  while (!closed && sent < max && socket.ws.readyState === WebSocket.OPEN) {
    for (let i = 0; i < 10; i++) socket.send(frame);
    sent += 10;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return sent;
}

eachTransport("close 4000 reaches a client that keeps sending bad frames", async (t) => {
  await using h = await startTestHub(t);
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "a" })],
  });
  for (let i = 0; i < 51; i++) socket.send("not json");
  await keepSending(socket, "still not json");
  const closed = await withTimeout(socket.closed, 5000, "close");
  assert.equal(closed.code, 4000, JSON.stringify(closed));
});

eachTransport("close 4008 reaches a client that keeps flooding", async (t) => {
  await using h = await startTestHub(t, {
    limits: { messageRate: 1, messageBurst: 3, maxRateLimitStrikes: 3 },
  });
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "a" })],
  });
  await keepSending(socket, { type: "ping" });
  const closed = await withTimeout(socket.closed, 5000, "close");
  assert.equal(closed.code, 4008, JSON.stringify(closed));
});

eachTransport("close 4001 reaches a client that keeps sending after a failed auth", async (t) => {
  await using h = await startTestHub(t);
  const socket = new TestSocket(h.url);
  await withTimeout(socket.opened, 3000, "open");
  socket.send({ type: "auth", token: "not-a-token" });
  await keepSending(socket, { type: "ping" });
  const closed = await withTimeout(socket.closed, 5000, "close");
  assert.equal(closed.code, 4001, JSON.stringify(closed));
});
