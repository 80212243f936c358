// Every production limit over real sockets, on both transports.

import assert from "node:assert/strict";
import { connectWelcomed, TestSocket, withTimeout } from "../_support/client.ts";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import { rawHandshake, type RawPeer, until } from "../_support/raw.ts";

const UPGRADE = {
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

eachTransport(
  "connection rate per IP is limited with 429 and Retry-After before the upgrade",
  async (t) => {
    await using h = await startTestHub(t, {
      limits: { connectRatePerIp: 1, connectBurstPerIp: 2 },
    });
    const token = await h.token({ sub: "a" });
    const [one] = await connectWelcomed(h.url, { protocols: ["auth", token] });
    const [two] = await connectWelcomed(h.url, { protocols: ["auth", token] });
    const res = await fetch(`${h.url.replace("ws", "http")}?token=${token}`, { headers: UPGRADE });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get("retry-after")) >= 1);
    assert.equal((await res.json()).code, "RATE_LIMITED");
    assert.equal(h.hub.metrics.rateLimitHits.get("connect_rate"), 1);
    assert.equal(h.hub.connectionCount, 2);
    await one.close();
    await two.close();
  },
);

eachTransport("total connections are capped with 503", async (t) => {
  await using h = await startTestHub(t, { limits: { maxConnections: 1 } });
  const token = await h.token({ sub: "a" });
  const [one] = await connectWelcomed(h.url, { protocols: ["auth", token] });
  const res = await fetch(`${h.url.replace("ws", "http")}?token=${token}`, { headers: UPGRADE });
  assert.equal(res.status, 503);
  await res.body?.cancel();
  await one.close();
});

eachTransport("connections per user are capped with close 4008", async (t) => {
  await using h = await startTestHub(t, { limits: { maxConnectionsPerUser: 1 } });
  const token = await h.token({ sub: "a" });
  const [one] = await connectWelcomed(h.url, { protocols: ["auth", token] });
  const two = new TestSocket(h.url, { protocols: ["auth", token] });
  assert.deepEqual(await withTimeout(two.closed, 3000, "close"), {
    code: 4008,
    reason: "Too many connections for this user",
  });
  const [other] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "b" })],
  });
  await one.close();
  await other.close();
});

eachTransport(
  "the frame rate is limited with RATE_LIMITED, then close 4008 if it persists",
  async (t) => {
    await using h = await startTestHub(t, {
      limits: { messageRate: 1, messageBurst: 3, maxRateLimitStrikes: 3 },
    });
    const [socket] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "a" })],
    });
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await socket.request({ type: "ping", id: i })).type,
        "pong",
      );
    }
    socket.send({ type: "ping", id: 3 });
    const limited = await socket.next((f) => f.type === "error");
    assert.deepEqual([limited.code, limited.retry], ["RATE_LIMITED", true]);
    for (let i = 0; i < 3; i++) socket.send({ type: "ping", id: 10 + i });
    assert.equal((await withTimeout(socket.closed, 3000, "close")).code, 4008);
  },
);

eachTransport(
  "a slow consumer is dropped with 4008 while healthy subscribers get everything",
  async (t) => {
    await using h = await startTestHub(t, {
      limits: { maxBufferedBytes: 256 * 1024, messageRate: 10_000, messageBurst: 10_000 },
    });
    const acl = { "feed:*": ["subscribe", "publish"] };
    const [healthy] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "h", acl })],
    });
    await healthy.request({ type: "subscribe", id: 1, topic: "feed:x" });
    // The slow peer subscribes with first-message frames written by hand, then never reads again.
    const slow = await rawHandshake(h.port, `/ws?token=${await h.token({ sub: "s", acl })}`);
    assert.match(slow.head, /^HTTP\/1.1 101/);
    await slow.conn.write(
      maskedText(JSON.stringify({ type: "subscribe", id: 1, topic: "feed:x" })),
    );
    await until(() => h.hub.subscriberCount("feed:x") === 2, 3000, "slow subscription");
    const payload = "x".repeat(32 * 1024);
    let sent = 0;
    while (h.hub.metrics.slowConsumerDrops === 0 && sent < 4000) {
      await h.hub.publish("feed:x", { n: sent, payload });
      sent++;
      // Let healthy sockets flush: Deno counts bytes queued in this turn in bufferedAmount.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.equal(h.hub.metrics.slowConsumerDrops, 1, `no drop after ${sent} messages`);
    assert.equal(h.hub.subscriberCount("feed:x"), 1);
    for (let i = 0; i < sent; i++) {
      const message = await healthy.next((f) => f.type === "message", 10_000);
      assert.equal(message.payload.n, i);
    }
    slow.close();
    await healthy.close();
  },
);

eachTransport(
  "a half-open peer that stops answering pings is cleaned up by the heartbeat",
  async (t) => {
    const [hub, peer] = await heartbeatHub(t, "ghost");
    await using h = hub;
    await peer.conn.write(
      maskedText(JSON.stringify({ type: "subscribe", id: 1, topic: "chat:a" })),
    );
    await until(() => h.hub.subscriptionCount === 1, 3000, "subscription");
    assert.equal(h.hub.isUserConnected("ghost"), true);
    await until(() => h.hub.connectionCount === 0, 10_000, "heartbeat cleanup");
    assert.deepEqual([h.hub.subscriptionCount, h.hub.topicCount, h.hub.isUserConnected("ghost")], [
      0,
      0,
      false,
    ]);
    peer.close();
  },
);

eachTransport(
  "an idle peer that answers pings is pinged again and again and stays connected",
  async (t) => {
    const [hub, peer] = await heartbeatHub(t, "awake");
    await using h = hub;
    // Three pings answered, each more than a heartbeat after the last: a
    // heartbeat that were not running, or that dropped a peer which answers,
    // fails here.
    const pings = await withTimeout(answerPings(peer.conn, 3), 15_000, "three pings");
    assert.equal(pings, 3);
    assert.equal(h.hub.isUserConnected("awake"), true);
    peer.close();
  },
);

/**
 * A hub with a short heartbeat and a raw peer upgraded as `sub`. The peer is
 * never the process's first socket: the Deno adapter treats that one apart
 * (it checks Deno's heartbeat slots on it), and the rest is what to test.
 */
async function heartbeatHub(t: "ws" | "deno", sub: string): Promise<[TestHub, RawPeer]> {
  const h = await startTestHub(t, { limits: { heartbeatMs: t === "deno" ? 1000 : 200 } });
  const acl = { "chat:*": ["subscribe"] };
  const first = new WebSocket(`${h.url}?token=${await h.token({ sub: "first", acl })}`);
  await new Promise((resolve) => first.addEventListener("open", resolve, { once: true }));
  first.close();
  await new Promise((resolve) => first.addEventListener("close", resolve, { once: true }));
  const peer = await rawHandshake(h.port, `/ws?token=${await h.token({ sub, acl })}`);
  assert.match(peer.head, /^HTTP\/1.1 101/);
  return [h, peer];
}

/**
 * Reads server frames, answers each ping with a masked pong carrying its
 * payload, and resolves with the count once `count` pings were answered.
 * Rejects when the server closes or ends the connection first.
 */
async function answerPings(conn: Deno.Conn, count: number): Promise<number> {
  let buffered = new Uint8Array(0);
  let answered = 0;
  const chunk = new Uint8Array(4096);
  while (answered < count) {
    const n = await conn.read(chunk);
    if (n === null) throw new Error(`Connection ended after ${answered} pings`);
    const joined = new Uint8Array(buffered.length + n);
    joined.set(buffered);
    joined.set(chunk.subarray(0, n), buffered.length);
    buffered = joined;
    // Server frames are unmasked; the welcome may use a 16-bit length.
    for (;;) {
      if (buffered.length < 2) break;
      const short = buffered[1] & 0x7f;
      if (short === 127) throw new Error("Unexpected 64-bit frame length");
      const head = short === 126 ? 4 : 2;
      if (buffered.length < head) break;
      const length = short === 126 ? (buffered[2] << 8) | buffered[3] : short;
      if (buffered.length < head + length) break;
      const opcode = buffered[0] & 0x0f;
      const payload = buffered.slice(head, head + length);
      buffered = buffered.slice(head + length);
      if (opcode === 0x8) throw new Error(`Closed after ${answered} pings`);
      if (opcode !== 0x9) continue;
      const pong = new Uint8Array(6 + length);
      pong[0] = 0x8a;
      pong[1] = 0x80 | length;
      pong.set([1, 2, 3, 4], 2);
      for (let i = 0; i < length; i++) pong[6 + i] = payload[i] ^ [1, 2, 3, 4][i % 4];
      await conn.write(pong);
      answered++;
    }
  }
  return answered;
}

/** A masked client text frame (payload < 126 bytes), as RFC 6455 requires from clients. */
function maskedText(text: string): Uint8Array {
  const data = new TextEncoder().encode(text);
  if (data.length >= 126) throw new RangeError("short frames only");
  const mask = [1, 2, 3, 4];
  const frame = new Uint8Array(2 + 4 + data.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | data.length;
  frame.set(mask, 2);
  for (let i = 0; i < data.length; i++) frame[6 + i] = data[i] ^ mask[i % 4];
  return frame;
}
