// Real hub processes (what `deno task start` runs) on one real redis-server:
// readiness through /healthz, Redis unreachable at start, Redis lost and back.

import assert from "node:assert/strict";
import { startHubCluster, startHubProcess } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";

function unusedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Asks /healthz of every hub until each answers `status`, at most `timeoutMs`. */
async function untilAll(
  hubs: readonly { health(): Promise<{ status: number }> }[],
  status: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await Promise.all(hubs.map((h) => h.health().then((r) => r.status)));
    if (seen.every((s) => s === status)) return;
    if (Date.now() > deadline) throw new Error(`/healthz answered ${seen} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("main exits with one error line naming the Redis URL, credentials redacted, when Redis is unreachable", async () => {
  const port = unusedPort();
  const hub = await startHubProcess({
    redisUrl: `redis://app:hunter2@127.0.0.1:${port}`,
    waitReady: false,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    hub.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("hub did not exit in 15 s")), 15_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.equal(status.code, 1);
  const lines = hub.stderr().trim().split("\n");
  assert.equal(lines.length, 1, hub.stderr());
  assert.match(lines[0], new RegExp(`^realtime: .*redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
  assert.ok(!lines[0].includes("hunter2"), lines[0]);
  // It never listened.
  await assert.rejects(fetch(`${hub.http}/healthz`));
});

Deno.test("startHubCluster runs two hub processes on one Redis; /healthz follows Redis down and up", async () => {
  await using redis = await startRedisServer();
  await using cluster = await startHubCluster(2, { redisUrl: redis.url });
  const [a, b] = cluster.hubs;
  assert.notEqual(a.pid, b.pid);
  for (const hub of cluster.hubs) {
    assert.deepEqual(await hub.health(), {
      status: 200,
      body: { ok: true, engine: "redis", shards: [{ commands: true, subscriber: true }] },
    });
  }
  // Both hubs hold their connections to the same Redis (command + subscriber each).
  const clients = await redis.cli("CLIENT", "LIST");
  assert.ok(clients.split("\n").length >= 4, clients);
  await redis.kill();
  await untilAll(cluster.hubs, 503, 5000);
  await redis.restart();
  await untilAll(cluster.hubs, 200, 10_000);
  // A SIGKILLed hub is gone; the other one is unaffected.
  const status = await a.kill();
  assert.equal(status.signal, "SIGKILL");
  assert.equal((await b.health()).status, 200);
});
