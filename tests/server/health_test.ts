// /healthz over real sockets: the in-memory engine is always healthy; a hub
// on a real redis-server answers 503 while Redis is gone and 200 again once
// its connections are back and its subscriptions verified. Redis
// unreachable at start stops startServer before anything listens.

import assert from "node:assert/strict";
import { startServer } from "../../src/server/start.ts";
import { EngineError } from "../../src/engine/errors.ts";
import { startRedisServer } from "../_support/redis_server.ts";

const SECRET = "health-test-secret-of-at-least-32-bytes";
const quiet = { accounts: false as const, log: () => {} };

async function healthz(port: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: await res.json() };
}

/** Asks /healthz until it answers `status`, at most `timeoutMs`. */
async function untilStatus(port: number, status: number, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (;;) {
    const seen = await healthz(port);
    if (seen.status === status) return performance.now() - start;
    if (performance.now() - start > timeoutMs) {
      throw new Error(
        `/healthz still ${seen.status} after ${timeoutMs} ms: ${JSON.stringify(seen)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("startServer answers /healthz for the in-memory engine", async () => {
  await using started = await startServer(
    { port: 0, hostname: "127.0.0.1", auth: { secret: SECRET } },
    quiet,
  );
  assert.deepEqual(await healthz(started.server.port), {
    status: 200,
    body: { ok: true, engine: "memory" },
  });
  const head = await fetch(`http://127.0.0.1:${started.server.port}/healthz`, { method: "HEAD" });
  await head.body?.cancel();
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("cache-control"), "no-store");
});

Deno.test("startServer on Redis reports engine health on /healthz, 503 while Redis is gone", async () => {
  await using redis = await startRedisServer();
  await using started = await startServer({
    port: 0,
    hostname: "127.0.0.1",
    auth: { secret: SECRET },
    engine: { redis: { urls: [redis.url], prefix: "health" } },
  }, quiet);
  assert.ok(started.engine !== undefined);
  const port = started.server.port;
  assert.deepEqual(await healthz(port), {
    status: 200,
    body: { ok: true, engine: "redis", shards: [{ commands: true, subscriber: true }] },
  });
  await redis.kill();
  const down = await untilStatus(port, 503, 5000);
  const body = (await healthz(port)).body as { ok: boolean; shards: unknown[] };
  assert.equal(body.ok, false);
  assert.ok(!JSON.stringify(body).includes(`${redis.port}`), "no Redis address on a public route");
  await redis.restart();
  const up = await untilStatus(port, 200, 10_000);
  assert.ok(down < 5000 && up < 10_000, `down after ${down} ms, up after ${up} ms`);
});

Deno.test("startServer refuses to start when Redis is unreachable, naming it without credentials", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port: unused } = probe.addr as Deno.NetAddr;
  probe.close();
  const listen = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port: hubPort } = listen.addr as Deno.NetAddr;
  listen.close();
  const started = Date.now();
  await assert.rejects(
    startServer({
      port: hubPort,
      hostname: "127.0.0.1",
      auth: { secret: SECRET },
      engine: {
        redis: { urls: [`redis://app:hunter2@127.0.0.1:${unused}`], connectTimeoutMs: 500 },
      },
    }, quiet),
    (e: Error) =>
      e instanceof EngineError && e.code === "ENGINE_UNAVAILABLE" &&
      e.message.includes(`redis://***@127.0.0.1:${unused}`) && !e.message.includes("hunter2"),
  );
  assert.ok(Date.now() - started < 5000, "within the connect bound");
  // Nothing was left listening on the hub's port.
  const again = Deno.listen({ hostname: "127.0.0.1", port: hubPort });
  again.close();
});
