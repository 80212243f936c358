// One view of the cluster across real hub processes (src/server/main.ts) on
// one real redis-server: every hub lists every live hub, and a hub killed
// with SIGKILL leaves the list within its announcement's TTL. Nothing
// sleeps: waits are bounded polls of the admin API.

import assert from "node:assert/strict";
import { startHubCluster, startHubProcess } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import type { NodeList } from "../../src/hub/nodes.ts";

const ADMIN_KEY = "cluster-nodes-admin-key-0123456789";
const NODE = { announceIntervalMs: 200, ttlMs: 1000 };

async function nodes(http: string): Promise<NodeList> {
  const res = await fetch(`${http}/v1/realtime/nodes`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** Polls `check` every 50 ms until it holds, for at most `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  while (true) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Not ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("GET /nodes lists every hub on one Redis, each with its id; a stopped hub leaves at once, a SIGKILLed one within node.ttlMs", async () => {
  await using redis = await startRedisServer();
  await using hubs = await startHubCluster(2, {
    redisUrl: redis.url,
    config: { node: NODE },
    env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
  });
  const [a, b] = hubs.hubs;
  const both = await until("both listed", 5000, async () => {
    const list = await nodes(a.http);
    return list.nodes.length === 2 ? list : undefined;
  });
  assert.equal(both.scope, "cluster");
  assert.equal(both.nodes[0].id, both.self, "the hub that answered comes first");
  const fromB = await nodes(b.http);
  assert.notEqual(fromB.self, both.self);
  assert.deepEqual(new Set(fromB.nodes.map((n) => n.id)), new Set(both.nodes.map((n) => n.id)));
  for (const node of both.nodes) {
    assert.equal(node.version, "0.1.0");
    assert.equal(node.engineOk, true);
    assert.match(String(node.address), /^127\.0\.0\.1:\d+$/);
    assert.equal(typeof node.connections, "number");
  }
  assert.deepEqual(
    new Set(both.nodes.map((n) => n.address)),
    new Set([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]),
  );
  // A hub that shuts down cleanly withdraws its entry at once.
  const c = await startHubProcess({
    redisUrl: redis.url,
    config: { node: { ...NODE, ttlMs: 60_000 } },
    env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
  }, 2);
  await until("C listed", 5000, async () => (await nodes(a.http)).nodes.length === 3 || undefined);
  await c.stop();
  assert.equal((await nodes(a.http)).nodes.length, 2, "C withdrew as it stopped");
  await b.kill();
  const killedAt = Date.now();
  const alone = await until("B gone", NODE.ttlMs + 2000, async () => {
    const list = await nodes(a.http);
    return list.nodes.length === 1 ? list : undefined;
  });
  assert.equal(alone.nodes[0].id, both.self);
  // The bound: the TTL after B's last announcement, which was before the kill.
  assert.ok(Date.now() - killedAt <= NODE.ttlMs + 500, `${Date.now() - killedAt} ms`);
});

Deno.test("GET /nodes on the in-memory engine lists this hub alone", async () => {
  await using hub = await startHubProcess({ env: { REALTIME_ADMIN_KEY: ADMIN_KEY } });
  const list = await nodes(hub.http);
  assert.equal(list.nodes.length, 1);
  assert.equal(list.nodes[0].id, list.self);
  assert.equal(list.nodes[0].address, `127.0.0.1:${hub.port}`);
});
