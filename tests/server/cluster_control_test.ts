// Operator control that survives Redis failures, across real hub processes
// (src/server/main.ts) sharing one real redis-server: a revocation that
// cannot be carried to the other hubs answers 503 (and is applied on the hub
// asked), and one sent while a hub's subscriber connection was down reaches
// that hub once it is back. Nothing sleeps: every wait is on a close, a
// response or a bounded poll.

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { mintToken } from "../../src/auth/mint.ts";
import { connectWelcomed, type TestSocket, withTimeout } from "../_support/client.ts";
import { CLUSTER_SECRET, type HubProcess, startHubCluster } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";

const ADMIN_KEY = "cluster-control-admin-key-0123456789";
const ACL = { "chat:*": ["subscribe", "publish"] };

async function token(sub: string): Promise<string> {
  return await mintToken({ sub, acl: ACL }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
}

async function connect(hub: HubProcess, jwt: string): Promise<TestSocket> {
  const [socket] = await connectWelcomed(hub.url, { protocols: ["auth", jwt] });
  return socket;
}

async function admin(hub: HubProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${hub.http}/v1/realtime/${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const revoke = (hub: HubProcess, user: string) => admin(hub, "POST", "revoke", { user });

/** Polls `check` every 50 ms until it holds, for at most `ms`. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Not ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const healthy = (hub: HubProcess) => async () => (await hub.health()).status === 200;

Deno.test({
  name:
    "revoke, disconnect and rules while Redis is down answer 503; the revocation holds on the hub asked, and once retried every hub refuses",
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await startHubCluster(2, {
      redisUrl: redis.url,
      env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    });
    const [a, b] = hubs.hubs;
    const jwt = await token("mallory");
    const malloryA = await connect(a, jwt);
    await redis.stop();
    const refused = await revoke(a, "mallory");
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.match(refused.body.message, /on this hub only/);
    // Fail closed where it was asked: the connection closes, the token is refused.
    assert.equal((await withTimeout(malloryA.closed, 5000, "close")).code, 4003);
    await assert.rejects(connect(a, jwt));
    // Every operator action the other hubs cannot be told of says so.
    const disconnect = await admin(a, "DELETE", "users/bob/connections");
    assert.equal(disconnect.status, 503, JSON.stringify(disconnect.body));
    assert.match(disconnect.body.message, /Disconnected 'bob' on this hub only/);
    const rules = await admin(a, "PUT", "rules", {
      rules: [{ effect: "deny", actions: ["subscribe"], topics: ["chat:secret"] }],
    });
    assert.equal(rules.status, 503, JSON.stringify(rules.body));
    assert.match(rules.body.message, /in force on this hub only/);
    // A read that cannot ask the other hubs answers for this hub, labelled so, with why.
    const status = await admin(a, "GET", "users/mallory/status");
    assert.equal(status.status, 200, JSON.stringify(status.body));
    assert.equal(status.body.scope, "local");
    assert.equal(typeof status.body.error, "string");
    const send = await admin(a, "POST", "send/mallory", { event: "e", payload: 1 });
    assert.equal(send.status, 503, JSON.stringify(send.body));
    await redis.restart();
    await until("healthy", 15_000, async () => (await healthy(a)()) && (await healthy(b)()));
    const retried = await revoke(a, "mallory");
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    for (const hub of [a, b]) await assert.rejects(connect(hub, jwt), Error, `hub ${hub.index}`);
  },
});

Deno.test({
  name:
    "revoke sent while a hub's subscriber connection is down reaches that hub once it reconnects",
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await startHubCluster(2, {
      redisUrl: redis.url,
      env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    });
    const [a, b] = hubs.hubs;
    const jwt = await token("mallory");
    const malloryB = await connect(b, jwt);
    // One connection of the test's own, kept open: while the subscribers are
    // cut off, no new connection is accepted (maxclients), so none of them
    // can come back until the test allows it.
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await admin.connect();
      const subscribers = String(await admin.call("CLIENT", "LIST", "TYPE", "pubsub"))
        .split("\n").filter((line) => line.trim() !== "").length;
      assert.equal(subscribers, 2);
      const info = String(await admin.info("clients"));
      const clients = Number(/connected_clients:(\d+)/.exec(info)![1]);
      await admin.config("SET", "maxclients", String(clients - subscribers));
      await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
      await until("cut off", 5000, async () => (await b.health()).status !== 200);
      // Hub A's command connection is up: the revocation is stored and sent,
      // but hub B is not listening.
      const answer = await revoke(a, "mallory");
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(malloryB.ws.readyState, WebSocket.OPEN);
      await admin.config("SET", "maxclients", "10000");
      assert.equal((await withTimeout(malloryB.closed, 10_000, "close")).code, 4003);
      await until("healthy", 10_000, healthy(b));
      for (const hub of [a, b]) await assert.rejects(connect(hub, jwt), Error, `hub ${hub.index}`);
    } finally {
      admin.disconnect();
    }
  },
});

/**
 * Cuts every hub's subscriber connection off Redis and keeps it off (no new
 * connection is accepted past the test's own, maxclients) until `restore`;
 * resolves once `hub` says it is cut off. Hub commands connections stay up.
 */
async function cutOffSubscribers(redisUrl: string, hub: HubProcess) {
  const control = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await control.connect();
  const subscribers = String(await control.call("CLIENT", "LIST", "TYPE", "pubsub"))
    .split("\n").filter((line) => line.trim() !== "").length;
  assert.equal(subscribers, 2);
  const info = String(await control.info("clients"));
  const clients = Number(/connected_clients:(\d+)/.exec(info)![1]);
  await control.config("SET", "maxclients", String(clients - subscribers));
  await control.call("CLIENT", "KILL", "TYPE", "pubsub");
  await until("cut off", 5000, async () => (await hub.health()).status !== 200);
  return {
    async restore() {
      await control.config("SET", "maxclients", "10000");
    },
    [Symbol.dispose]() {
      control.disconnect();
    },
  };
}

Deno.test({
  name:
    "rules updated while a hub's subscriber connection is down reach that hub once it reconnects",
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await startHubCluster(2, {
      redisUrl: redis.url,
      env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    });
    const [a, b] = hubs.hubs;
    const rulesOf = async (hub: HubProcess) => (await admin(hub, "GET", "rules")).body.rules;
    const before = await rulesOf(b);
    const rules = [{ effect: "deny", actions: ["subscribe"], topics: ["chat:secret"] }];
    using cut = await cutOffSubscribers(redis.url, b);
    // Hub A's command connection is up: the rules are kept and sent, but B is not listening.
    const answer = await admin(a, "PUT", "rules", { rules });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(await rulesOf(b), before, "B missed the update while cut off");
    await cut.restore();
    await until("healthy", 10_000, healthy(b));
    await until(
      "B holds the new rules",
      10_000,
      async () => JSON.stringify(await rulesOf(b)) === JSON.stringify(rules),
    );
    // A bob on hub B is now refused the topic the new rules deny.
    const bob = await connect(b, await token("bob"));
    const refused = await bob.request({ type: "subscribe", id: 1, topic: "chat:secret" });
    assert.equal(refused.type, "error", JSON.stringify(refused));
    bob.close();
  },
});

Deno.test({
  name:
    "a disconnect issued while a hub's subscriber connection is down closes the user's connections there once it reconnects",
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await startHubCluster(2, {
      redisUrl: redis.url,
      env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    });
    const [a, b] = hubs.hubs;
    const malloryB = await connect(b, await token("mallory"));
    using cut = await cutOffSubscribers(redis.url, b);
    const answer = await admin(a, "DELETE", "users/mallory/connections");
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    // Hub B did not answer, and says so.
    assert.equal(answer.body.missing.length, 1, JSON.stringify(answer.body));
    assert.equal(malloryB.ws.readyState, WebSocket.OPEN);
    await cut.restore();
    assert.equal((await withTimeout(malloryB.closed, 10_000, "close")).code, 4003);
  },
});
