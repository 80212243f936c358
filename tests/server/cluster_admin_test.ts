// Cluster-wide admin answers across real hub processes (src/server/main.ts)
// on one real redis-server: the reproduction (a user connected on
// hub B; hub A's `POST /send/:user` answered `reached: 0` and its console
// showed no connection) now answers from every hub, each answer labelled
// with the hubs that answered and those that did not. Nothing sleeps:
// every wait is on a message, a close, a response or a bounded poll.

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import { connectWelcomed, type TestSocket, withTimeout } from "../_support/client.ts";
import { CLUSTER_SECRET, type HubProcess, startHubCluster } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";

const ADMIN_KEY = "cluster-admin-answers-key-0123456789";
const ACL = { "chat:*": ["subscribe", "publish"] };
/** Announcements every 200 ms, gone 1 s after a hub stops; answers waited for 3 s. */
const NODE = { announceIntervalMs: 200, ttlMs: 1000, answerTimeoutMs: 3000 };

async function connect(hub: HubProcess, sub: string): Promise<TestSocket> {
  const jwt = await mintToken({ sub, acl: ACL }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
  const [socket] = await connectWelcomed(hub.url, { protocols: ["auth", jwt] });
  return socket;
}

async function admin(hub: HubProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${hub.http}/v1/realtime/${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** Polls `check` every 50 ms until it holds, for at most `ms`. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Not ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startTwo(redisUrl: string, node: Record<string, number> = NODE) {
  const hubs = await startHubCluster(2, {
    redisUrl,
    config: { node },
    env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
  });
  const [a, b] = hubs.hubs;
  await until(
    "both hubs listed",
    10_000,
    async () => (await admin(a, "GET", "nodes")).nodes.length === 2,
  );
  const idA = (await admin(a, "GET", "nodes")).self as string;
  const idB = (await admin(b, "GET", "nodes")).self as string;
  return { hubs, a, b, idA, idB };
}

Deno.test({
  name:
    "hub A's admin API answers for a user connected on hub B: send reaches 1, status, topic counts, totals and connections name hub B",
  async fn() {
    await using redis = await startRedisServer();
    const { hubs, a, b, idA, idB } = await startTwo(redis.url);
    await using _hubs = hubs;
    const bob = await connect(b, "bob");
    await bob.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
    const alice = await connect(a, "alice");
    await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });

    const sent = await admin(a, "POST", "send/bob", { event: "hello", payload: { n: 1 } });
    assert.equal(sent.reached, 1);
    assert.equal(sent.scope, "cluster");
    assert.equal(sent.self, idA);
    assert.equal(sent.answered, 2);
    assert.deepEqual(sent.missing, []);
    assert.deepEqual(sent.nodes, { [idA]: 0, [idB]: 1 });
    const message = await bob.next((m) => m.type === "message");
    assert.deepEqual([message.event, message.payload], ["hello", { n: 1 }]);

    const listed = await admin(a, "POST", "broadcast", {
      event: "news",
      topic: "chat:lobby",
      payload: 2,
      users: ["bob"],
    });
    assert.deepEqual([listed.reached, listed.nodes], [1, { [idA]: 0, [idB]: 1 }]);
    const direct = await bob.next((m) => m.type === "message" && m.topic === null);
    assert.deepEqual([direct.event, direct.payload], ["news", 2]);

    const status = await admin(a, "GET", "users/bob/status");
    assert.deepEqual([status.connected, status.connections], [true, 1]);
    assert.equal(status.nodes[idB].connections, 1);
    assert.equal(status.nodes[idA].connections, 0);

    const topic = await admin(a, "GET", "topics/chat:lobby");
    assert.deepEqual([topic.subscribers, topic.nodes], [2, { [idA]: 1, [idB]: 1 }]);

    const stats = await admin(a, "GET", "stats");
    assert.equal(stats.connections, 1, "this hub's own count is unchanged");
    assert.equal(stats.node, idA);
    assert.deepEqual(
      [stats.cluster.connections, stats.cluster.subscriptions, stats.cluster.answered],
      [2, 2, 2],
    );

    const all = await admin(a, "GET", "connections?node=all");
    assert.equal(all.total, 2);
    assert.deepEqual(
      all.connections.map((c: { user: string; node: string }) => [c.user, c.node]).sort(),
      [["alice", idA], ["bob", idB]],
    );
    const onlyB = await admin(a, "GET", `connections?node=${idB}`);
    assert.deepEqual(onlyB.connections.map((c: { user: string }) => c.user), ["bob"]);
    assert.deepEqual(onlyB.answeredBy, [idB]);
    const unknown = await fetch(`${a.http}/v1/realtime/connections?node=hub-z`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.deepEqual([unknown.status, (await unknown.json()).message], [
      404,
      "No live node 'hub-z' in the node list",
    ]);
    const local = await admin(a, "GET", "connections");
    assert.deepEqual(
      [local.scope, local.connections.map((c: { user: string }) => c.user)],
      ["local", ["alice"]],
    );

    // A connection on hub B closed from hub A, by its id.
    const bobId = all.connections.find((c: { user: string }) => c.user === "bob").id;
    const closed = await admin(a, "DELETE", `connections/${bobId}`);
    assert.deepEqual([closed.disconnected, closed.nodes], [1, { [idA]: 0, [idB]: 1 }]);
    assert.equal((await withTimeout(bob.closed, 5000, "bob's close")).code, 4003);
    const none = await admin(a, "DELETE", `connections/${bobId}`);
    assert.equal(none.disconnected, 0);

    // A user on both hubs, disconnected from hub A: each hub says what it closed.
    const carolA = await connect(a, "carol");
    const carolB = await connect(b, "carol");
    const gone = await admin(a, "DELETE", "users/carol/connections");
    assert.deepEqual([gone.disconnected, gone.nodes], [2, { [idA]: 1, [idB]: 1 }]);
    await withTimeout(carolA.closed, 5000, "carol's close on A");
    await withTimeout(carolB.closed, 5000, "carol's close on B");

    // And a revocation answers the connections it closed on every hub.
    const daveB = await connect(b, "dave");
    const revoked = await admin(a, "POST", "revoke", { user: "dave" });
    assert.deepEqual([revoked.disconnected, revoked.nodes[idB]], [1, 1]);
    assert.equal((await withTimeout(daveB.closed, 5000, "dave's close")).code, 4003);
    alice.close();
  },
});

Deno.test({
  name: "a hub killed but still in the node list is named missing in the answer",
  async fn() {
    await using redis = await startRedisServer();
    // B's announcement outlives it by far: it stays listed, is asked, and cannot answer.
    const { hubs, a, b, idA, idB } = await startTwo(redis.url, { ...NODE, ttlMs: 60_000 });
    await using _hubs = hubs;
    await b.kill();
    const answer = await admin(a, "POST", "send/bob", { event: "hello", payload: null });
    assert.deepEqual(
      [answer.scope, answer.answered, answer.missing, Object.keys(answer.nodes)],
      ["cluster", 1, [idB], [idA]],
    );
    const status = await admin(a, "GET", "users/bob/status");
    assert.deepEqual([status.answered, status.missing], [1, [idB]]);
  },
});
