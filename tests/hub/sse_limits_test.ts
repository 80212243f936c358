// The SSE door's time and size bounds over real sockets: token expiry (on
// an injected clock) ends the stream with named events, heartbeats are
// comments, and a reader that stops reading is dropped as a slow WebSocket
// consumer is, without delaying another subscriber.

import assert from "node:assert/strict";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { openSse } from "../_support/sse_reader.ts";

const ACL = { "feed:*": ["subscribe", "history"] };

eachTransport(
  "sse warns before the token expires, then ends the stream with failure and close",
  async (t) => {
    const clock = new ManualClock();
    await using h = await startTestHub(t, { clock, tokenExpiringLeadMs: 30_000 });
    const token = await h.token({ sub: "alice", acl: ACL }, { ttl: 120, now: clock.now });
    const stream = await openSse(`http://127.0.0.1:${h.port}/sse?topic=feed:a`, {
      authorization: `Bearer ${token}`,
    });
    const welcome = JSON.parse((await stream.until("welcome")).data);
    assert.ok(welcome.expiresAt > clock.now());
    clock.advance(91_000);
    const expiring = JSON.parse((await stream.until("token_expiring")).data);
    assert.equal(expiring.expiresAt, welcome.expiresAt);
    clock.advance(30_000);
    const failure = JSON.parse((await stream.until("failure")).data);
    assert.equal(failure.code, "TOKEN_EXPIRED");
    const close = JSON.parse((await stream.until("close")).data);
    assert.deepEqual(close, { type: "close", code: 4001, reason: "Token expired" });
    assert.equal(await stream.next(), undefined, "the stream ends after the close event");
    assert.equal(h.hub.connectionCount, 0);
  },
);

eachTransport("sse writes a heartbeat comment every heartbeatMs", async (t) => {
  const clock = new ManualClock();
  await using h = await startTestHub(t, { clock, limits: { heartbeatMs: 5_000 } });
  const token = await h.token({ sub: "alice", acl: ACL }, { now: clock.now });
  const stream = await openSse(`http://127.0.0.1:${h.port}/sse?topic=feed:a`, {
    authorization: `Bearer ${token}`,
  });
  await stream.until("welcome");
  clock.advance(5_000);
  assert.equal((await stream.next(10_000, true))?.event, "comment");
  clock.advance(5_000);
  assert.equal((await stream.next(10_000, true))?.event, "comment");
  await stream.cancel();
});

eachTransport(
  "sse drops a reader that stops reading, and another subscriber keeps receiving",
  async (t) => {
    const LIMIT = 256 * 1024;
    await using h = await startTestHub(t, { limits: { maxBufferedBytes: LIMIT } });
    const token = await h.token({ sub: "alice", acl: ACL });
    // The slow reader: a raw socket that sends the request and never reads.
    const slow = await Deno.connect({ hostname: "127.0.0.1", port: h.port });
    await slow.write(
      new TextEncoder().encode(
        `GET /sse?topic=feed:a HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\n\r\n`,
      ),
    );
    const fast = await openSse(`http://127.0.0.1:${h.port}/sse?topic=feed:a`, {
      authorization: `Bearer ${token}`,
    });
    await fast.until("welcome");
    const deadline = Date.now() + 30_000;
    while (h.hub.connectionCount < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(h.hub.connectionCount, 2);
    const chunk = "x".repeat(16 * 1024);
    // Bounded: far more than the kernel's buffers and the limit together.
    let sent = 0;
    for (; sent < 2000 && h.hub.metrics.slowConsumerDrops === 0; sent++) {
      await h.hub.publish("feed:a", { n: sent, chunk });
      const event = (await fast.next())!;
      assert.equal(
        JSON.parse(event.data).payload.n,
        sent,
        "the fast reader gets every one, in order",
      );
    }
    assert.equal(h.hub.metrics.slowConsumerDrops, 1, `dropped after ${sent} publications`);
    assert.equal(h.hub.connectionCount, 1);
    await h.hub.publish("feed:a", { n: "after" });
    assert.equal(JSON.parse((await fast.next())!.data).payload.n, "after");
    slow.close();
    await fast.cancel();
  },
);

eachTransport(
  "sse refuses a resume whose replay alone would pass maxBufferedBytes, with 429",
  async (t) => {
    await using h = await startTestHub(t, {
      history: [{ pattern: "feed:*", size: 1000, ttlMs: 60_000 }],
      limits: { maxBufferedBytes: 64 * 1024 },
    });
    const token = await h.token({ sub: "alice", acl: ACL });
    const auth = { authorization: `Bearer ${token}` };
    const first = await openSse(`http://127.0.0.1:${h.port}/sse?topic=feed:big`, auth);
    const welcome = await first.until("welcome");
    await first.cancel();
    // 100 KiB missed while away: more than the reader may have queued.
    for (let i = 0; i < 100; i++) await h.hub.publish("feed:big", "x".repeat(1024));
    const again = await openSse(`http://127.0.0.1:${h.port}/sse?topic=feed:big`, {
      ...auth,
      "last-event-id": welcome.id!,
    });
    assert.equal(again.response.status, 429);
    assert.equal((await again.response.json()).code, "RATE_LIMITED");
    // Counted as a slow consumer (the cancelled first stream may be counted too, once written to).
    assert.ok(h.hub.metrics.slowConsumerDrops >= 1);
    // A resume of what fits still works.
    const small = await openSse(`http://127.0.0.1:${h.port}/sse?topic=feed:big`, {
      ...auth,
      "last-event-id": await (async () => {
        const s = await openSse(`http://127.0.0.1:${h.port}/sse?topic=feed:big`, auth);
        const w = await s.until("welcome");
        await s.cancel();
        return w.id!;
      })(),
    });
    assert.equal(small.response.status, 200);
    assert.equal(JSON.parse((await small.until("welcome")).data).recovered, true);
    await small.cancel();
  },
);
