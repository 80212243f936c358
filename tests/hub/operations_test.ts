// Live permission changes, operator actions and graceful shutdown over real sockets.

import assert from "node:assert/strict";
import { connectWelcomed, TestSocket, withTimeout } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { until } from "../_support/raw.ts";

eachTransport(
  "revoke disconnects every connection of a user with 4003 and rejects their old tokens",
  async (t) => {
    await using h = await startTestHub(t);
    const token = await h.token({ sub: "alice" });
    const [one] = await connectWelcomed(h.url, { protocols: ["auth", token] });
    const [two] = await connectWelcomed(h.url, { protocols: ["auth", token] });
    const [bob] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "bob" })],
    });
    assert.deepEqual(h.hub.userStatus("alice").connections, 2);
    assert.equal(h.hub.revoke({ user: "alice" }), 2);
    for (const socket of [one, two]) {
      assert.deepEqual(await withTimeout(socket.closed, 3000, "close"), {
        code: 4003,
        reason: "Access revoked",
      });
    }
    assert.equal(h.hub.isUserConnected("alice"), false);
    assert.equal((await bob.request({ type: "ping", id: 1 })).type, "pong");
    const again = new TestSocket(`${h.url}?token=${token}`);
    await assert.rejects(again.opened);
    // A token issued after the revocation works.
    const fresh = await h.token({ sub: "alice" }, { now: () => Date.now() + 2000 });
    const [back] = await connectWelcomed(h.url, { protocols: ["auth", fresh] });
    await back.close();
    await bob.close();
  },
);

eachTransport(
  "updateRules re-checks live subscriptions and ends the ones no longer allowed",
  async (t) => {
    await using h = await startTestHub(t, {
      acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["news:*", "sport:*"] }] },
    });
    const [socket] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "a" })],
    });
    await socket.request({ type: "subscribe", id: 1, topic: "news:today" });
    await socket.request({ type: "subscribe", id: 2, topic: "sport:*" });
    await assert.rejects(
      h.hub.updateRules([{ effect: "allow", actions: ["subscribe"], topics: ["bad topic"] }]),
      TypeError,
    );
    assert.equal(h.hub.subscriptionCount, 2, "a rejected update changed something");
    await h.hub.updateRules([{ effect: "allow", actions: ["subscribe"], topics: ["sport:**"] }]);
    assert.deepEqual(await socket.next((f) => f.type === "unsubscribed"), {
      type: "unsubscribed",
      topic: "news:today",
      code: "FORBIDDEN",
    });
    assert.equal(h.hub.subscriptionCount, 1);
    assert.equal(
      (await socket.request({ type: "subscribe", id: 3, topic: "news:today" })).code,
      "FORBIDDEN",
    );
    await socket.close();
  },
);

eachTransport("sendToUser and broadcast reach users directly with topic null", async (t) => {
  await using h = await startTestHub(t);
  const [a1] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "alice" })],
  });
  const [a2] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "alice" })],
  });
  const [b] = await connectWelcomed(h.url, { protocols: ["auth", await h.token({ sub: "bob" })] });
  assert.equal(h.hub.sendToUser("alice", "personal_update", { credits: 1000 }), 2);
  for (const socket of [a1, a2]) {
    const m = await socket.next((f) => f.type === "message");
    assert.deepEqual([m.topic, m.event, m.payload, m.from], [null, "personal_update", {
      credits: 1000,
    }, null]);
  }
  assert.equal(await h.hub.broadcast({ event: "notification", payload: "all" }), 3);
  for (const socket of [a1, a2, b]) {
    assert.equal((await socket.next((f) => f.type === "message")).payload, "all");
  }
  assert.equal(h.hub.sendToUser("nobody", "x", 1), 0);
  for (const socket of [a1, a2, b]) await socket.close();
});

eachTransport("close lets a frame in flight finish, then sends 1001", async (t) => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  let entered!: () => void;
  const inCheck = new Promise<void>((resolve) => entered = resolve);
  const h = await startTestHub(t, {
    authorize: async () => {
      entered();
      await gate;
      return true;
    },
  });
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "a" })],
  });
  socket.send({ type: "publish", id: "inflight", topic: "chat:a", payload: 1 });
  await inCheck;
  const closing = h.hub.close({ deadlineMs: 3000 });
  open();
  await closing;
  assert.deepEqual(await socket.next((f) => f.id === "inflight"), { type: "ack", id: "inflight" });
  assert.equal((await withTimeout(socket.closed, 3000, "close")).code, 1001);
  const refused = new TestSocket(`${h.url}?token=${await h.token({ sub: "b" })}`);
  await assert.rejects(refused.opened);
  await h.close();
});

Deno.test("connect/disconnect cycles leave no registry entries behind", async () => {
  await using h = await startTestHub("ws", {
    limits: { connectRatePerIp: 1_000_000, connectBurstPerIp: 1_000_000 },
  });
  const acl = { "chat:*": ["subscribe"] };
  const tokens = await Promise.all(
    Array.from({ length: 50 }, (_, i) => h.token({ sub: `u${i}`, acl })),
  );
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = Deno.memoryUsage().heapUsed;
  const cycles = 10_000;
  const concurrency = 50;
  let done = 0;
  await Promise.all(tokens.map(async (token, worker) => {
    for (let i = worker; i < cycles; i += concurrency) {
      const [socket] = await connectWelcomed(h.url, { protocols: ["auth", token] });
      await socket.request({ type: "subscribe", id: 1, topic: `chat:room${i % 100}` });
      await socket.close();
      done++;
    }
  }));
  assert.equal(done, cycles);
  await until(() => h.hub.connectionCount === 0, 5000, "connections to close");
  const stats = h.hub.stats();
  assert.deepEqual([stats.connections, stats.users, stats.topics, stats.subscriptions], [
    0,
    0,
    0,
    0,
  ]);
  assert.equal(h.hub.metrics.connectionsOpened, cycles);
  // Without a forced collection the heap figure is noise, so it is only asserted
  // where the task exposes gc (deno task test does).
  if (gc !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    const growthMiB = (Deno.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    // 10,000 leaked connections (with their subscriptions and sockets) would hold far more.
    assert.ok(growthMiB < 16, `heap grew by ${growthMiB.toFixed(1)} MiB after ${cycles} cycles`);
  }
});
