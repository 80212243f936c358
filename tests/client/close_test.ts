// close() and Symbol.asyncDispose release everything. Deno's test
// sanitizers fail these tests on a leaked timer, socket or pending op.

import assert from "node:assert/strict";
import { type ConnectionState, RealtimeClient } from "../../src/client/mod.ts";
import { startTestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { CHAT_ACL, next } from "./_helpers.ts";

Deno.test("RealtimeClient close settles everything pending and leaves no timers", async () => {
  const held = Promise.withResolvers<undefined>();
  await using h = await startTestHub("ws", {
    authorize: (_p, action) => action === "publish" ? held.promise : undefined,
  });
  const clock = new ManualClock();
  const rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: CHAT_ACL }),
    clock,
    heartbeatMs: 1000,
  });
  const states: ConnectionState[] = [];
  rt.on("state", (s) => states.push(s));
  const queued = rt.publish("chat:a", "queued before open");
  await rt.opened();
  const sent = rt.publish("chat:a", "sent, never answered");
  const unsubscribe = rt.subscribe("chat:b", () => {});
  assert.ok(clock.pendingTimers > 0);
  const rejected = [queued, sent].map((pending) =>
    assert.rejects(pending, { name: "RealtimeError", code: "CLOSED" })
  );

  await rt.close();
  assert.equal(clock.pendingTimers, 0);
  assert.equal(rt.state, "closed");
  assert.deepEqual(states, ["open", "closed"]);
  await Promise.all(rejected);
  // The hub answers frames in order, so the subscribe waits behind the held publish.
  await assert.rejects(unsubscribe.ready, { code: "CLOSED" });
  assert.equal(rt.error, undefined, "closed by the user, not by an error");
  assert.deepEqual(rt.subscriptions, []);
  held.resolve(undefined);
  await rt.close(); // idempotent
  await assert.rejects(rt.opened(), { code: "CLOSED" });
  await assert.rejects(rt.publish("chat:a", 1), { code: "CLOSED" });
  await assert.rejects(rt.subscribe("chat:a", () => {}).ready, { code: "CLOSED" });
});

Deno.test("RealtimeClient close while connecting or reconnecting leaks nothing", async () => {
  await using h = await startTestHub("ws");
  const token = await h.token({ sub: "alice" });
  const connecting = new RealtimeClient({ url: h.url, token });
  assert.equal(connecting.state, "connecting");
  await connecting.close();

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const reconnecting = new RealtimeClient({ url: `ws://127.0.0.1:${port}/ws`, token });
  await next(reconnecting, "state", (s) => s === "reconnecting");
  await reconnecting.close();

  const waiting = new RealtimeClient({ url: h.url, getToken: () => new Promise(() => {}) });
  await waiting.close();
});

Deno.test("RealtimeClient is released by await using", async () => {
  await using h = await startTestHub("ws");
  let state: ConnectionState | undefined;
  {
    await using rt = new RealtimeClient({ url: h.url, token: await h.token({ sub: "a" }) });
    await rt.opened();
    rt.on("state", (s) => (state = s));
  }
  assert.equal(state, "closed");
});

Deno.test("RealtimeClient on returns a remover and no listener runs after close", async () => {
  await using h = await startTestHub("ws");
  const rt = new RealtimeClient({ url: h.url, token: await h.token({ sub: "a" }) });
  const seen: string[] = [];
  const off = rt.on("state", (s) => seen.push(`removed:${s}`));
  off();
  rt.on("state", (s) => seen.push(s));
  await rt.opened();
  await rt.close();
  rt.on("state", (s) => seen.push(`late:${s}`));
  assert.deepEqual(seen, ["open", "closed"]);
});

Deno.test("RealtimeClient heartbeat drops a connection whose pings go unanswered", async () => {
  // A server that welcomes and then never answers: the silent half-open case.
  const clock = new ManualClock();
  const sockets: WebSocket[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "realtime.v1" });
    sockets.push(socket);
    socket.onopen = () =>
      socket.send(
        JSON.stringify({ type: "welcome", connectionId: "c", user: "u", expiresAt: null }),
      );
    return response;
  });
  const rt = new RealtimeClient({
    url: `ws://127.0.0.1:${server.addr.port}/ws`,
    token: "a.b.c",
    clock,
    heartbeatMs: 1000,
    requestTimeoutMs: 500,
    random: () => 0,
  });
  await rt.opened();
  const dropped = next(rt, "state", (s) => s === "reconnecting");
  clock.advance(1000); // ping
  clock.advance(500); // unanswered
  const [, change] = await dropped;
  assert.equal(change.previous, "open");
  await rt.close();
  for (const socket of sockets) if (socket.readyState < 2) socket.close();
  await server.shutdown();
});
