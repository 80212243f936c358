// Token expiry and refresh over real sockets, with time injected into the hub.

import assert from "node:assert/strict";
import { connectWelcomed, withTimeout } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";

const ACL = { "chat:*": ["subscribe", "publish"], "news:*": ["subscribe"] };

eachTransport(
  "token_expiring arrives before exp, a refresh extends the connection, exp closes it with 4001",
  async (t) => {
    const clock = new ManualClock();
    await using h = await startTestHub(t, { clock, tokenExpiringLeadMs: 30_000 });
    const token = await h.token({ sub: "alice", acl: ACL }, { ttl: 120, now: clock.now });
    const [socket, welcome] = await connectWelcomed(h.url, { protocols: ["auth", token] });
    const firstExp = Math.floor(clock.now() / 1000) * 1000 + 120_000;
    assert.equal(welcome.expiresAt, firstExp);

    clock.advance(91_000);
    assert.deepEqual(await socket.next((f) => f.type === "token_expiring"), {
      type: "token_expiring",
      expiresAt: firstExp,
    });

    const fresh = await h.token({ sub: "alice", acl: ACL }, { ttl: 300, now: clock.now });
    const ack = await socket.request({ type: "auth", id: "r1", token: fresh });
    assert.equal(ack.type, "ack");
    assert.equal(ack.expiresAt, Math.floor(clock.now() / 1000) * 1000 + 300_000);

    clock.advance(60_000); // past the first token's exp
    assert.equal((await socket.request({ type: "ping", id: 1 })).type, "pong");

    clock.advance(300_000); // past the refreshed exp
    const error = await socket.next((f) => f.type === "error");
    assert.deepEqual([error.code, error.retry], ["TOKEN_EXPIRED", false]);
    assert.equal((await withTimeout(socket.closed, 3000, "close")).code, 4001);
  },
);

eachTransport("a short-lived token is warned at half its life", async (t) => {
  const clock = new ManualClock();
  await using h = await startTestHub(t, { clock, tokenExpiringLeadMs: 60_000 });
  const token = await h.token({ sub: "alice" }, { ttl: 40, now: clock.now });
  const [socket] = await connectWelcomed(h.url, { protocols: ["auth", token] });
  clock.advance(19_000);
  assert.equal((await socket.request({ type: "ping", id: 1 })).type, "pong");
  assert.equal(socket.pending.length, 0, "warned too early");
  clock.advance(2_000);
  assert.equal((await socket.next((f) => f.type === "token_expiring")).type, "token_expiring");
  await socket.close();
});

eachTransport(
  "a bad refresh gets an error and the old token stays in force until its exp",
  async (t) => {
    const clock = new ManualClock();
    await using h = await startTestHub(t, { clock });
    const token = await h.token({ sub: "alice", acl: ACL }, { ttl: 600, now: clock.now });
    const [socket] = await connectWelcomed(h.url, { protocols: ["auth", token] });
    const bad = await socket.request({ type: "auth", id: "r", token: "eyJhbGciOiJub25lIn0.e30." });
    assert.deepEqual([bad.type, bad.code], ["error", "AUTH_FAILED"]);
    const expired = await h.token({ sub: "alice" }, { ttl: 10, now: () => clock.now() - 60_000 });
    const late = await socket.request({ type: "auth", id: "r2", token: expired });
    assert.equal(late.code, "TOKEN_EXPIRED");
    assert.equal((await socket.request({ type: "subscribe", id: 1, topic: "chat:a" })).type, "ack");
    clock.advance(601_000);
    assert.equal((await withTimeout(socket.closed, 3000, "close")).code, 4001);
  },
);

eachTransport("a refresh for another subject closes the connection with 4001", async (t) => {
  await using h = await startTestHub(t);
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "alice" })],
  });
  socket.send({ type: "auth", id: 1, token: await h.token({ sub: "mallory" }) });
  const closed = await withTimeout(socket.closed, 3000, "close");
  assert.deepEqual(closed, { code: 4001, reason: "Token subject changed" });
});

eachTransport(
  "a refresh re-checks subscriptions and ends the ones no longer allowed",
  async (t) => {
    await using h = await startTestHub(t);
    const [socket] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "alice", acl: ACL })],
    });
    await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    await socket.request({ type: "subscribe", id: 2, topic: "news:today" });
    assert.equal(
      (await socket.request({ type: "publish", id: "p0", topic: "chat:a", payload: 0 })).type,
      "ack",
    );
    const narrower = await h.token({ sub: "alice", acl: { "chat:*": ["subscribe"] } });
    const ack = await socket.request({ type: "auth", id: 3, token: narrower });
    assert.equal(ack.type, "ack");
    assert.deepEqual(await socket.next((f) => f.type === "unsubscribed"), {
      type: "unsubscribed",
      topic: "news:today",
      code: "FORBIDDEN",
    });
    assert.equal(h.hub.subscriptionCount, 1);
    // The cached "publish allowed" decision was dropped with the old token.
    assert.equal(
      (await socket.request({ type: "publish", id: 4, topic: "chat:a", payload: 1 })).code,
      "FORBIDDEN",
    );
    await socket.close();
  },
);

eachTransport(
  "many connections whose tokens expire at once are all closed with 4001 and released",
  async (t) => {
    const clock = new ManualClock();
    await using h = await startTestHub(t, {
      clock,
      limits: { connectRatePerIp: 1_000_000, connectBurstPerIp: 1_000_000 },
    });
    const count = 300;
    const acl = { "load:*": ["subscribe"] };
    const sockets = await Promise.all(Array.from({ length: count }, async (_, i) => {
      const token = await h.token({ sub: `u${i}`, acl }, { ttl: 120, now: clock.now });
      const [socket] = await connectWelcomed(h.url, { protocols: ["auth", token] });
      await socket.request({ type: "subscribe", id: 1, topic: `load:${i % 10}` });
      return socket;
    }));
    // One connection refreshes in time and must survive.
    const survivor = sockets[0];
    const fresh = await h.token({ sub: "u0", acl }, { ttl: 600, now: clock.now });
    assert.equal((await survivor.request({ type: "auth", id: "r", token: fresh })).type, "ack");
    assert.equal(h.hub.subscriptionCount, count);
    clock.advance(121_000);
    const closed = await Promise.all(
      sockets.slice(1).map((s) => withTimeout(s.closed, 10_000, "close")),
    );
    assert.ok(closed.every((c) => c.code === 4001));
    assert.equal((await survivor.request({ type: "ping", id: "alive" })).type, "pong");
    assert.deepEqual([h.hub.connectionCount, h.hub.subscriptionCount, h.hub.stats().users], [
      1,
      1,
      1,
    ]);
    await survivor.close();
  },
);
