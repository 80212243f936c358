// Reconnect, resubscribe and the publish queue, against a hub that is
// stopped and started again on the same port.

import assert from "node:assert/strict";
import { type ConnectionState, RealtimeClient } from "../../src/client/mod.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { CHAT_ACL, collect, next, startRestartableHub } from "./_helpers.ts";

const FAST = { baseMs: 20, maxMs: 200 };

eachTransport(
  "RealtimeClient reconnects after the hub goes away (1001) and resubscribes",
  async (t) => {
    await using h = await startRestartableHub(t);
    const token = await h.token({ sub: "alice", acl: CHAT_ACL });
    await using rt = new RealtimeClient({ url: h.url, token, backoff: FAST });
    const states: ConnectionState[] = [];
    rt.on("state", (state) => states.push(state));
    const received = collect(rt, "chat:lobby", 1);
    await received.ready;
    const firstConnection = rt.connectionId;

    const reconnecting = next(rt, "state", (s) => s === "reconnecting");
    const reopened = next(rt, "state", (s) => s === "open");
    await h.stop({ graceful: true });
    await reconnecting;
    await h.start();
    await reopened;
    assert.notEqual(rt.connectionId, firstConnection);

    // The new hub knows nothing of the old subscription: delivery proves the resubscribe.
    await using other = new RealtimeClient({ url: h.url, token, backoff: FAST });
    await other.publish("chat:lobby", "after restart");
    assert.deepEqual(await received.messages, ["after restart"]);
    assert.equal(states[0], "open");
    assert.equal(states.at(-1), "open");
    assert.ok(!states.includes("closed"));
  },
);

Deno.test("RealtimeClient reconnects after the sockets drop without a close frame", async () => {
  await using h = await startRestartableHub("ws");
  const token = await h.token({ sub: "alice", acl: CHAT_ACL });
  await using rt = new RealtimeClient({ url: h.url, token, backoff: FAST });
  const received = collect(rt, "chat:*", 1);
  await received.ready;
  const dropped = next(rt, "state", (s) => s === "reconnecting");
  await h.stop({ graceful: false });
  const [, change] = await dropped;
  assert.equal(change.previous, "open");
  const reopened = next(rt, "state", (s) => s === "open");
  await h.start();
  await reopened;
  await rt.publish("chat:a", "mine");
  assert.deepEqual(await received.messages, ["mine"]);
});

Deno.test("RealtimeClient draws reconnect delays from the back-off with its random source", async () => {
  await using h = await startRestartableHub("ws");
  const token = await h.token({ sub: "alice" });
  await using rt = new RealtimeClient({
    url: h.url,
    token,
    backoff: { baseMs: 40, maxMs: 1000 },
    random: () => 0.5,
  });
  await rt.opened();
  const delays: [number | undefined, number | undefined][] = [];
  const off = rt.on("state", (state, change) => {
    if (state === "reconnecting") delays.push([change.attempt, change.retryInMs]);
  });
  const thirdTry = next(rt, "state", (_, c) => c.attempt === 2, 5000);
  await h.stop({ graceful: true });
  await thirdTry;
  off();
  // Attempt n waits half (random 0.5) of min(1000, 40 * 2^n).
  assert.deepEqual(delays, [[0, 20], [1, 40], [2, 80]]);
  const reopened = next(rt, "state", (s) => s === "open");
  await h.start();
  await reopened;
});

Deno.test("RealtimeClient queues publishes until open, within maxQueued", async () => {
  await using h = await startTestHub("ws");
  const token = await h.token({ sub: "alice", acl: CHAT_ACL });
  await using watcher = new RealtimeClient({ url: h.url, token });
  const received = collect(watcher, "chat:q", 2);
  await received.ready;
  await using rt = new RealtimeClient({ url: h.url, token, maxQueued: 2 });
  assert.equal(rt.state, "connecting");
  const first = rt.publish("chat:q", 1);
  const second = rt.publish("chat:q", 2);
  const third = await rt.publish("chat:q", 3).catch((e) => e);
  assert.deepEqual([third.code, third.retry], ["QUEUE_FULL", true]);
  assert.match(
    third.message,
    /Cannot publish to 'chat:q' while connecting: 2 publishes already wait/,
  );
  await Promise.all([first, second]);
  assert.deepEqual(await received.messages, [1, 2]);
});

Deno.test("RealtimeClient fails a queued publish with TIMEOUT while the hub is unreachable", async () => {
  // A port nobody listens on: bind one, then free it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const clock = new ManualClock();
  const rt = new RealtimeClient({
    url: `ws://127.0.0.1:${port}/ws`,
    token: "a.b.c",
    clock,
    backoff: { baseMs: 1000, maxMs: 1000 },
    random: () => 0.5,
  });
  await next(rt, "state", (s) => s === "reconnecting");
  const late = rt.publish("chat:a", 1, { timeoutMs: 3000 });
  clock.advance(2999);
  const settled = await Promise.race([late.then(() => "resolved", () => "rejected"), "pending"]);
  assert.equal(settled, "pending");
  clock.advance(1);
  const error = await late.catch((e) => e);
  assert.deepEqual([error.code, error.topic], ["TIMEOUT", "chat:a"]);
  assert.equal(error.message, "Publish to 'chat:a' was not answered within 3000 ms");
  await rt.close();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("RealtimeClient names a timed-out request on a topic in words", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const clock = new ManualClock();
  const rt = new RealtimeClient({
    url: `ws://127.0.0.1:${port}/ws`,
    token: "a.b.c",
    clock,
    backoff: { baseMs: 1000, maxMs: 1000 },
    random: () => 0.5,
  });
  await next(rt, "state", (s) => s === "reconnecting");
  const late = [
    rt.history("chat:a", { timeoutMs: 1000 }),
    rt.presence("chat:a", { timeoutMs: 1000 }),
    rt.presenceStats("chat:a", { timeoutMs: 1000 }),
  ].map((request) => request.catch((e) => e.message));
  clock.advance(1000);
  assert.deepEqual(await Promise.all(late), [
    "History request for 'chat:a' was not answered within 1000 ms (not connected)",
    "Presence request for 'chat:a' was not answered within 1000 ms (not connected)",
    "Presence stats request for 'chat:a' was not answered within 1000 ms (not connected)",
  ]);
  await rt.close();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("RealtimeClient gives up after maxReconnectAttempts", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await using rt = new RealtimeClient({
    url: `ws://127.0.0.1:${port}/ws`,
    token: "a.b.c",
    maxReconnectAttempts: 2,
    backoff: { baseMs: 5, maxMs: 5 },
  });
  const [, change] = await next(rt, "state", (s) => s === "closed");
  assert.equal(change.error?.code, "CLOSED");
  assert.equal(change.error?.message, "Gave up after 2 failed reconnect attempts");
  assert.equal(rt.error, change.error);
  await assert.rejects(rt.publish("chat:a", 1), { name: "RealtimeError", code: "CLOSED" });
});

Deno.test("RealtimeClient sends a publish the connection lost again, with the same key, once reconnected", async () => {
  const arrived = Promise.withResolvers<void>();
  let held = 0;
  await using h = await startRestartableHub("ws", {
    // Hold the first publish's permission check so the connection drops first.
    authorize: (_p, action) => {
      if (action !== "publish" || held++ > 0) return undefined;
      arrived.resolve();
      return new Promise<undefined>(() => {});
    },
  });
  const token = await h.token({ sub: "alice", acl: CHAT_ACL });
  await using rt = new RealtimeClient({ url: h.url, token, backoff: FAST });
  await rt.opened();
  const pending = rt.publish("chat:a", 1, { idempotencyKey: "order-17", timeoutMs: 30_000 });
  await arrived.promise;
  await h.stop({ graceful: false });
  await h.start();
  await pending;
  assert.equal(held, 2, "the hub saw the publish again");
});

Deno.test("RealtimeClient rejects a sent signed publish with DISCONNECTED; again with its key, it is published once", async () => {
  const arrived = Promise.withResolvers<void>();
  let held = 0;
  const secret = "a-publication-secret-of-at-least-32-bytes";
  await using h = await startRestartableHub("ws", {
    acl: {
      rules: [
        { effect: "allow", actions: ["subscribe", "history"], topics: ["**"] },
        { effect: "allow", actions: ["publish"], topics: ["hs:*"], signed: { keys: secret } },
      ],
    },
    history: [{ pattern: "hs:*", size: 10, ttlMs: 60_000 }],
    // Hold the first publish's permission check so the connection drops first.
    authorize: (_p, action) => {
      if (action !== "publish" || held++ > 0) return undefined;
      arrived.resolve();
      return new Promise<undefined>(() => {});
    },
  });
  const token = await h.token({ sub: "alice" });
  await using rt = new RealtimeClient({ url: h.url, token, backoff: FAST });
  await rt.opened();
  const options = { sign: secret, idempotencyKey: "quote-1", timeoutMs: 30_000 };
  const pending = rt.publish("hs:a", 1, options);
  pending.catch(() => {});
  await arrived.promise;
  await h.stop({ graceful: false });
  const error = await pending.catch((e) => e);
  assert.deepEqual([error.code, error.retry], ["DISCONNECTED", true]);
  await h.start();
  await rt.publish("hs:a", 1, options);
  await rt.publish("hs:a", 1, options);
  const { publications } = await rt.history("hs:a");
  assert.equal(publications.length, 1, "signed anew each time, published once");
});

Deno.test("RealtimeClient rejects a sent history read with DISCONNECTED when the connection drops", async () => {
  const arrived = Promise.withResolvers<void>();
  await using h = await startRestartableHub("ws", {
    // Hold the history read's permission check so the connection drops first.
    authorize: (_p, action) => {
      if (action !== "history") return undefined;
      arrived.resolve();
      return new Promise<undefined>(() => {});
    },
  });
  const token = await h.token({ sub: "alice", acl: { "chat:*": ["history", "publish"] } });
  await using rt = new RealtimeClient({ url: h.url, token, backoff: FAST });
  await rt.opened();
  const pending = rt.history("chat:a");
  pending.catch(() => {});
  await arrived.promise;
  await h.stop({ graceful: false });
  const error = await pending.catch((e) => e);
  assert.deepEqual([error.code, error.retry], ["DISCONNECTED", true]);
  await h.start();
  await rt.opened();
});

Deno.test("RealtimeClient's state change says how the connection ended (close code, reason, failure)", async () => {
  const { scriptedPeer } = await import("./_scripted_peer.ts");
  await using peer = scriptedPeer();
  await using rt = new RealtimeClient({ url: peer.url, token: "a.b.c", backoff: FAST });
  const first = await peer.connection(1, 15_000);
  const reconnecting = next(rt, "state", (s) => s === "reconnecting");
  first.close(4008, "slow down");
  const [, lost] = await reconnecting;
  assert.deepEqual(lost.close, { code: 4008, reason: "slow down" });
  const second = await peer.connection(2, 15_000);
  const closed = next(rt, "state", (s) => s === "closed");
  second.close(4003, "revoked");
  const [, stopped] = await closed;
  assert.deepEqual(stopped.close, { code: 4003, reason: "revoked" });
  assert.equal(stopped.error?.closeCode, 4003);

  // A WebSocket that never opened: the runtime's words come along.
  await using nowhere = new RealtimeClient({
    url: `ws://127.0.0.1:${closedPort()}/ws`,
    token: "a.b.c",
    backoff: FAST,
  });
  const [, failed] = await next(nowhere, "state", (s) => s === "reconnecting");
  assert.equal(failed.close?.code, 1006);
  assert.equal(typeof failed.close?.failure, "string");
});

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
