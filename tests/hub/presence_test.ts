// Presence over real sockets against a real hub: two tabs of one user and a
// second user, join/leave to a follower, cleanup on a clean close and on a
// half-open peer, and bad input.

import assert from "node:assert/strict";
import { connectWelcomed, type TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";

const ACL = { "room:*": ["subscribe", "presence"], "lobby:*": ["subscribe"] };

async function join(
  h: TestHub,
  sub: string,
  extra: Record<string, unknown> = {},
  url = h.url,
): Promise<[TestSocket, string]> {
  const [socket, welcome] = await connectWelcomed(url, {
    protocols: ["realtime.v1", "auth", await h.token({ sub, acl: ACL, ...extra } as never)],
  });
  return [socket, welcome.connectionId];
}

eachTransport("presence counts two tabs of one user as two connections and one user", async (t) => {
  await using h = await startTestHub(t);
  const [carol, carolId] = await join(h, "carol");
  await carol.request({ type: "subscribe", id: 1, topic: "room:1", presence: true });
  // docs/protocol.md: a `presence: true` subscriber also receives its own join.
  assert.equal((await carol.next((f) => f.type === "join")).connectionId, carolId);
  const [tab1, tab1Id] = await join(h, "alice", { info: { name: "Alice" } });
  const [tab2] = await join(h, "alice", { info: { name: "Alice" } });
  const [bob, bobId] = await join(h, "bob");
  for (const s of [tab1, tab2, bob]) await s.request({ type: "subscribe", id: 1, topic: "room:1" });
  const joins = [];
  for (let i = 0; i < 3; i++) joins.push(await carol.next((f) => f.type === "join"));
  assert.deepEqual(joins.map((j) => j.user).sort(), ["alice", "alice", "bob"]);
  assert.deepEqual(joins.find((j) => j.connectionId === tab1Id)?.info, { name: "Alice" });
  const stats = await carol.request({ type: "presence_stats", id: 2, topic: "room:1" });
  assert.deepEqual([stats.connections, stats.users], [4, 3]);
  const list = await carol.request({ type: "presence", id: 3, topic: "room:1" });
  assert.equal(list.clients.length, 4);
  assert.deepEqual(list.clients.find((c: { connectionId: string }) => c.connectionId === bobId), {
    user: "bob",
    connectionId: bobId,
  });
  assert.deepEqual(await h.hub.presenceStats("room:1"), { connections: 4, users: 3 });
  // A clean close leaves at once; alice stays present through her other tab.
  await tab1.close();
  const leave = await carol.next((f) => f.type === "leave");
  assert.equal(leave.connectionId, tab1Id);
  assert.deepEqual(await h.hub.presenceStats("room:1"), { connections: 3, users: 3 });
  // An unsubscribe leaves too.
  await bob.request({ type: "unsubscribe", id: 9, topic: "room:1" });
  assert.equal((await carol.next((f) => f.type === "leave")).connectionId, bobId);
  assert.deepEqual(await h.hub.presenceStats("room:1"), { connections: 2, users: 2 });
  await tab2.close();
  await carol.next((f) => f.type === "leave");
  assert.deepEqual(await h.hub.presence("room:1"), [{
    connection: carolId,
    user: "carol",
    info: undefined,
  }]);
  for (const s of [bob, carol]) await s.close();
});

eachTransport("the in-memory engine sends a subscriber's own join before its ack", async (t) => {
  // docs/protocol.md, "Presence": the order is the engine's; this is the in-memory engine's,
  // on a topic without history and on one with history (whose ack waits for the position).
  for (const history of [[], [{ pattern: "room:*", size: 10, ttlMs: 60_000 }]]) {
    await using h = await startTestHub(t, { history });
    const [carol, carolId] = await join(h, "carol");
    carol.send({ type: "subscribe", id: 1, topic: "room:1", presence: true });
    const first = await carol.next();
    const second = await carol.next();
    assert.deepEqual([first.type, first.connectionId], ["join", carolId]);
    assert.deepEqual([second.type, second.id], ["ack", 1]);
    await carol.close();
  }
});

eachTransport("presence info is kept up to 1024 bytes of UTF-8, not UTF-16 units", async (t) => {
  await using h = await startTestHub(t);
  const [watcher] = await join(h, "watcher");
  await watcher.request({ type: "subscribe", id: 1, topic: "room:1", presence: true });
  await watcher.next((f) => f.type === "join");
  // JSON strings with their quotes: 1024 bytes of ASCII, and 602 units that are 1202 bytes.
  const fits = "a".repeat(1022);
  const tooLong = "é".repeat(600);
  for (const [sub, info] of [["ascii", fits], ["accented", tooLong]]) {
    const [socket, id] = await join(h, sub, { info });
    await socket.request({ type: "subscribe", id: 1, topic: "room:1" });
    const joined = await watcher.next((f) => f.type === "join" && f.connectionId === id);
    assert.equal(joined.info, sub === "ascii" ? fits : undefined, sub);
    await socket.close();
  }
  await watcher.close();
});

eachTransport(
  "presence requests with bad input get their error and the connection stays",
  async (t) => {
    await using h = await startTestHub(t);
    const [socket] = await join(h, "alice");
    const cases: [Record<string, unknown>, string][] = [
      [{ type: "presence", topic: "room:*" }, "BAD_REQUEST"],
      [{ type: "presence_stats", topic: "room:**" }, "BAD_REQUEST"],
      [{ type: "presence", topic: "" }, "BAD_REQUEST"],
      [{ type: "presence", topic: "lobby:1" }, "FORBIDDEN"],
      [{ type: "presence_stats", topic: "lobby:1" }, "FORBIDDEN"],
      [{ type: "subscribe", topic: "lobby:1", presence: true }, "FORBIDDEN"],
      [{ type: "subscribe", topic: "room:*", presence: true }, "BAD_REQUEST"],
      [{ type: "subscribe", topic: "room:1", presence: "yes" }, "BAD_REQUEST"],
    ];
    for (const [i, [frame, code]] of cases.entries()) {
      const reply = await socket.request({ ...frame, id: i });
      assert.equal(reply.type, "error", JSON.stringify(frame));
      assert.equal(reply.code, code, JSON.stringify(frame));
    }
    assert.equal((await socket.request({ type: "ping", id: "p" })).type, "pong");
    assert.equal(h.hub.subscriptionCount, 0);
    await socket.close();
  },
);

/** A TCP proxy on 127.0.0.1 that can go silent: nothing forwarded, nothing closed. */
function freezableProxy(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let frozen = false;
  async function pump(from: Deno.Conn, to: Deno.Conn) {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        if (frozen) continue; // swallowed: a peer that vanished without a FIN
        await to.write(buffer.subarray(0, n));
      }
    } catch {
      // closed
    }
  }
  void (async () => {
    for await (const inbound of listener) {
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port });
      open.add(inbound).add(outbound);
      void pump(inbound, outbound);
      void pump(outbound, inbound);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    freeze() {
      frozen = true;
    },
    [Symbol.asyncDispose]() {
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      listener.close();
      return Promise.resolve();
    },
  };
}

Deno.test("a half-open peer leaves presence when its heartbeat fails", async () => {
  // The ws transport pings every heartbeatMs and drops a peer that did not answer.
  await using h = await startTestHub("ws", { limits: { heartbeatMs: 100 } });
  await using proxy = freezableProxy(h.port);
  const [carol] = await join(h, "carol");
  await carol.request({ type: "subscribe", id: 1, topic: "room:1", presence: true });
  const [ghost, ghostId] = await join(h, "ghost", {}, `ws://127.0.0.1:${proxy.port}/ws`);
  await ghost.request({ type: "subscribe", id: 1, topic: "room:1" });
  await carol.next((f) => f.type === "join" && f.connectionId === ghostId);
  proxy.freeze();
  const leave = await carol.next((f) => f.type === "leave", 3000);
  assert.equal(leave.connectionId, ghostId);
  assert.deepEqual(await h.hub.presenceStats("room:1"), { connections: 1, users: 1 });
  ghost.ws.close();
  await carol.close();
});
