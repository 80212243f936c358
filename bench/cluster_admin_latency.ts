// deno-lint-ignore-file no-console
/**
 * `deno run --allow-all bench/cluster_admin_latency.ts [requests]`: what a
 * cluster-wide admin answer costs. Two hub processes on one private
 * `redis-server`, a user connected to hub B, and `requests` (default 300)
 * sequential admin requests to hub A for each route: `GET /nodes` (one Redis
 * script, no question to the other hub, the baseline), `POST /send/:user`,
 * `GET /users/:user/status` and `GET /stats` (each asks hub B over the
 * control channel and waits for its answer). Prints the median and p99 round
 * trip; every answer must come from both hubs. The figures are quoted in
 * docs/admin.md.
 *
 * @module
 */

import { mintToken } from "../src/auth/mint.ts";
import { connectWelcomed } from "../tests/_support/client.ts";
import { CLUSTER_SECRET, startHubCluster } from "../tests/_support/hub_cluster.ts";
import { startRedisServer } from "../tests/_support/redis_server.ts";

const REQUESTS = Math.min(10_000, Math.max(10, Number(Deno.args[0] ?? 300)));
const KEY = "cluster-latency-admin-key-0123456789";
const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };

await using redis = await startRedisServer();
await using hubs = await startHubCluster(2, {
  redisUrl: redis.url,
  config: { node: { announceIntervalMs: 200, ttlMs: 1000 } },
  env: { REALTIME_ADMIN_KEY: KEY },
});
const [a, b] = hubs.hubs;
const jwt = await mintToken({ sub: "bob" }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
const [bob] = await connectWelcomed(b.url, { protocols: ["auth", jwt] });
const deadline = Date.now() + 10_000;
while ((await (await fetch(`${a.http}/v1/realtime/nodes`, { headers })).json()).nodes.length < 2) {
  if (Date.now() > deadline) throw new Error("Hub B was not listed within 10 s");
  await new Promise((resolve) => setTimeout(resolve, 100));
}

async function measure(method: string, path: string, body?: unknown): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    const res = await fetch(`${a.http}/v1/realtime/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await res.json();
    const answered = answer.answered ?? answer.cluster?.answered ?? answer.nodes?.length;
    if (res.status !== 200 || answered !== 2) {
      throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
    }
    ms.push(performance.now() - started);
  }
  ms.sort((x, y) => x - y);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(2);
  console.log(
    `${method} /${path}: median ${at(0.5)} ms, p99 ${at(0.99)} ms (${REQUESTS} requests)`,
  );
}

await measure("GET", "nodes");
await measure("POST", "send/bob", { event: "ping", payload: 1 });
await measure("GET", "users/bob/status");
await measure("GET", "stats");
bob.close();
