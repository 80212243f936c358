// The demo page at `/` is a switch (config `demo`, REALTIME_DEMO): on in
// development, off wherever REALTIME_ENV says otherwise unless turned on.

import assert from "node:assert/strict";
import { loadServerConfig } from "../../src/server/config.ts";
import { startServer } from "../../src/server/start.ts";

const SECRET = "start-demo-secret-of-at-least-32-bytes!!";

async function home(env: Record<string, string>): Promise<{ status: number; demo: boolean }> {
  const config = await loadServerConfig({
    PORT: "0",
    REALTIME_HOST: "127.0.0.1",
    REALTIME_JWT_SECRET: SECRET,
    ...env,
  });
  await using started = await startServer(config, { accounts: false, log: () => {} });
  const res = await fetch(`http://127.0.0.1:${started.server.port}/`);
  await res.body?.cancel();
  return { status: res.status, demo: started.demo };
}

Deno.test("startServer serves the demo page in development and not in production", async () => {
  assert.deepEqual(await home({}), { status: 200, demo: true });
  assert.deepEqual(await home({ REALTIME_ENV: "development" }), { status: 200, demo: true });
  assert.deepEqual(await home({ REALTIME_ENV: "production" }), { status: 404, demo: false });
  // Any other name counts as production, as for the development key.
  assert.deepEqual(await home({ REALTIME_ENV: "staging" }), { status: 404, demo: false });
});

Deno.test("REALTIME_DEMO turns the demo page on in production and off in development", async () => {
  assert.deepEqual(await home({ REALTIME_ENV: "production", REALTIME_DEMO: "on" }), {
    status: 200,
    demo: true,
  });
  assert.deepEqual(await home({ REALTIME_DEMO: "off" }), { status: 404, demo: false });
  await assert.rejects(
    loadServerConfig({ REALTIME_DEMO: "yes" }),
    (e: Error) =>
      e instanceof TypeError && e.message === `Cannot use REALTIME_DEMO 'yes': use "on" or "off"`,
  );
});

Deno.test("startServer with the development key and demo off mints no /dev/token", async () => {
  const dir = await Deno.makeTempDir({ prefix: "realtime-demo-off-" });
  try {
    await using started = await startServer(
      { port: 0, hostname: "127.0.0.1", demo: false },
      { devKeyDir: dir, accounts: false, log: () => {} },
    );
    const res = await fetch(`http://127.0.0.1:${started.server.port}/dev/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub: "alice", ttl: 60 }),
    });
    await res.body?.cancel();
    assert.equal(res.status, 404);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
