// The operator console as `startServer` wires it: on where the admin key is
// configured, off otherwise or when `consolePath` is false, at the path
// chosen; and an open console stream does not keep the server from closing.

import assert from "node:assert/strict";
import { startServer } from "../../src/server/start.ts";
import type { ServerConfig } from "../../src/server/config.ts";

const SECRET = "start-console-secret-of-at-least-32-bytes";
const ADMIN_KEY = "start-console-key-0123456789abcdef";

async function consoleStatus(config: ServerConfig, path: string): Promise<number> {
  await using started = await startServer(
    { port: 0, hostname: "127.0.0.1", auth: { secret: SECRET }, ...config },
    { log: () => {} },
  );
  const res = await fetch(`http://127.0.0.1:${started.server.port}${path}`);
  await res.body?.cancel();
  return res.headers.get("content-security-policy")?.includes("connect-src 'self'") &&
      res.status === 200
    ? 200
    : res.status;
}

Deno.test("startServer serves the console only where an admin key is configured", async () => {
  assert.equal(await consoleStatus({ adminKey: ADMIN_KEY }, "/admin"), 200);
  assert.equal(await consoleStatus({}, "/admin"), 404);
  assert.equal(await consoleStatus({ adminKey: ADMIN_KEY, consolePath: false }, "/admin"), 404);
  assert.equal(
    await consoleStatus({ adminKey: ADMIN_KEY, consolePath: "/ops/console" }, "/ops/console"),
    200,
  );
});

Deno.test("startServer closes while a console stream is open", async () => {
  for (const transport of ["ws", "deno"] as const) {
    const started = await startServer(
      { port: 0, hostname: "127.0.0.1", auth: { secret: SECRET }, adminKey: ADMIN_KEY, transport },
      { log: () => {} },
    );
    const res = await fetch(`http://127.0.0.1:${started.server.port}/v1/realtime/stream`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      started.close(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`close hung on ${transport}`)), 5000);
      }),
    ]);
    clearTimeout(timer);
    // The stream ended with the server.
    while (!(await reader.read().catch(() => ({ done: true }))).done) { /* rest */ }
  }
});
