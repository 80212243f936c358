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
import {
  CLUSTER_SECRET,
  type HubProcess,
  startHubCluster,
  startHubProcess,
} from "../_support/hub_cluster.ts";
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

/**
 * Cuts every hub's subscriber connection off Redis and keeps it off (no new
 * connection is accepted past the test's own, maxclients) until `restore`;
 * resolves once `hub` says it is cut off. The hubs' command connections stay up.
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

/** The ids of the Redis connections open now. */
async function clientIds(control: Redis): Promise<Set<string>> {
  const list = String(await control.call("CLIENT", "LIST"));
  return new Set([...list.matchAll(/^id=(\d+) /gm)].map((m) => m[1]));
}

Deno.test({
  name:
    "a revocation, a disconnect and new rules reach a hub whose subscriber connection is cut off, read from Redis while it stays cut off",
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await startHubCluster(2, {
      redisUrl: redis.url,
      env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    });
    const [a, b] = hubs.hubs;
    const rulesOf = async (hub: HubProcess) => (await admin(hub, "GET", "rules")).body.rules;
    const jwt = await token("mallory");
    const malloryB = await connect(b, jwt);
    const trentB = await connect(b, await token("trent"));
    using cut = await cutOffSubscribers(redis.url, b);
    // Hub A's command connection is up: each action is stored and sent, but
    // hub B is not listening; it reads them from Redis while cut off.
    const revoked = await revoke(a, "mallory");
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.equal((await withTimeout(malloryB.closed, 10_000, "mallory's close")).code, 4003);
    await assert.rejects(connect(b, jwt), Error, "B refuses the revoked token");
    const disconnected = await admin(a, "DELETE", "users/trent/connections");
    assert.equal(disconnected.status, 200, JSON.stringify(disconnected.body));
    assert.equal((await withTimeout(trentB.closed, 10_000, "trent's close")).code, 4003);
    const rules = [{ effect: "deny", actions: ["subscribe"], topics: ["chat:secret"] }];
    const answer = await admin(a, "PUT", "rules", { rules });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    await until(
      "B holds the new rules",
      10_000,
      async () => JSON.stringify(await rulesOf(b)) === JSON.stringify(rules),
    );
    assert.notEqual((await b.health()).status, 200, "B was cut off all along");
    await cut.restore();
    await until("healthy", 10_000, healthy(b));
    // A trent who connected again since is left alone by the stored disconnect.
    const trentAgain = await connect(b, await token("trent"));
    const bob = await connect(b, await token("bob"));
    const refused = await bob.request({ type: "subscribe", id: 1, topic: "chat:secret" });
    assert.equal(refused.type, "error", JSON.stringify(refused));
    assert.equal((await trentAgain.request({ type: "ping", id: 1 })).type, "pong");
    bob.close();
    trentAgain.close();
  },
});

Deno.test({
  name:
    "a revocation, a disconnect and new rules sent while a hub is cut off from Redis altogether reach it once it reconnects",
  async fn() {
    await using redis = await startRedisServer();
    const control = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await control.connect();
    try {
      await using a = await startHubProcess({
        redisUrl: redis.url,
        env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
      }, 0);
      const beforeB = await clientIds(control);
      await using b = await startHubProcess({
        redisUrl: redis.url,
        env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
      }, 1);
      const ofB = [...await clientIds(control)].filter((id) => !beforeB.has(id));
      assert.ok(ofB.length >= 2, `hub B's connections: ${ofB}`);
      const malloryB = await connect(b, await token("mallory"));
      const trentB = await connect(b, await token("trent"));
      const rulesBefore = (await admin(b, "GET", "rules")).body.rules;
      // Hub B loses every connection to Redis and cannot open one until allowed.
      const info = String(await control.info("clients"));
      const clients = Number(/connected_clients:(\d+)/.exec(info)![1]);
      await control.config("SET", "maxclients", String(clients - ofB.length));
      for (const id of ofB) await control.call("CLIENT", "KILL", "ID", id);
      await until("B cut off", 5000, async () => (await b.health()).status !== 200);
      assert.equal((await revoke(a, "mallory")).status, 200);
      assert.equal((await admin(a, "DELETE", "users/trent/connections")).status, 200);
      const rules = [{ effect: "deny", actions: ["subscribe"], topics: ["chat:secret"] }];
      assert.equal((await admin(a, "PUT", "rules", { rules })).status, 200);
      assert.equal(malloryB.ws.readyState, WebSocket.OPEN, "B cannot know yet");
      assert.deepEqual((await admin(b, "GET", "rules")).body.rules, rulesBefore);
      await control.config("SET", "maxclients", "10000");
      assert.equal((await withTimeout(malloryB.closed, 15_000, "mallory's close")).code, 4003);
      assert.equal((await withTimeout(trentB.closed, 15_000, "trent's close")).code, 4003);
      await until(
        "B holds the new rules",
        15_000,
        async () =>
          JSON.stringify((await admin(b, "GET", "rules")).body.rules) === JSON.stringify(rules),
      );
    } finally {
      control.disconnect();
    }
  },
});
