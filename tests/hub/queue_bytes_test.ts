// Frames waiting behind a slow asynchronous `authorize` are bounded in bytes
// (UTF-8, as received), not only in count, over real sockets on both transports.

import assert from "node:assert/strict";
import { connectWelcomed } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";

const CAP = 256 * 1024;
/** Each publish frame carries 25,000 "é": 50,000 bytes but 25,000 UTF-16 units. */
const PAYLOAD = "é".repeat(25_000);

eachTransport(
  "frames queued behind a pending authorize are capped by bytes with RATE_LIMITED",
  async (t) => {
    const gate = Promise.withResolvers<void>();
    await using h = await startTestHub(t, {
      authorize: async () => {
        await gate.promise;
        return true;
      },
      limits: { maxQueuedBytes: CAP },
    });
    const [socket] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "a" })],
    });
    // The first frame's check is pending: the ones after it queue.
    socket.send({ type: "subscribe", id: "s", topic: "feed:x" });
    const frames = 8;
    const sizes: number[] = [];
    for (let i = 0; i < frames; i++) {
      const text = JSON.stringify({ type: "publish", id: i, topic: "feed:x", payload: PAYLOAD });
      sizes.push(new TextEncoder().encode(text).length);
      socket.send(text);
    }
    // As many as fit in CAP bytes are held (5 of 50 KB each); by UTF-16 units all 8 would.
    let fit = 0;
    for (let total = 0; fit < frames && total + sizes[fit] <= CAP; fit++) total += sizes[fit];
    assert.equal(fit, 5);
    for (let i = fit; i < frames; i++) {
      const refused = await socket.next((f) => f.type === "error");
      assert.equal(refused.code, "RATE_LIMITED");
      assert.match(refused.message, /at most 262144/);
    }
    assert.equal(h.hub.metrics.rateLimitHits.get("queue_bytes"), frames - fit);
    gate.resolve();
    assert.equal((await socket.next((f) => f.id === "s")).type, "ack");
    for (let i = 0; i < fit; i++) {
      assert.equal((await socket.next((f) => f.id === i)).type, "ack", `publish ${i}`);
    }
    // Once drained, the queue holds nothing: a new slow check can queue a full CAP again.
    assert.equal(socket.pending.filter((f) => f.type === "error").length, 0);
    await socket.close();
  },
);

Deno.test("createHub refuses a maxQueuedBytes that is not a positive integer", async () => {
  const { createHub } = await import("../../src/server/create_hub.ts");
  for (const value of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => createHub({ auth: { secret: "x".repeat(32) }, limits: { maxQueuedBytes: value } }),
      (error: unknown) =>
        error instanceof RangeError && /'limits\.maxQueuedBytes' is/.test(error.message),
    );
  }
});
