// The admin API as `startServer` wires it, over real HTTP and WebSocket:
// hub tokens are no admin credential, and a revocation reaches admin JWTs.

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import { startServer } from "../../src/server/start.ts";
import { TestSocket } from "../_support/client.ts";

const SECRET = "start-admin-secret-of-at-least-32-bytes!";
const ADMIN_KEY = "start-admin-key-0123456789abcdef";

Deno.test("startServer accepts admin JWTs only with the admin audience, and not once revoked", async () => {
  await using started = await startServer(
    { port: 0, hostname: "127.0.0.1", auth: { secret: SECRET }, adminKey: ADMIN_KEY },
    { log: () => {} },
  );
  const base = `http://127.0.0.1:${started.server.port}/v1/realtime`;
  const get = async (credential: string) => {
    const res = await fetch(`${base}/stats`, {
      headers: { authorization: `Bearer ${credential}` },
    });
    return { status: res.status, body: await res.json() };
  };
  const key = { secret: SECRET };
  const hubToken = await mintToken({ sub: "ops2", roles: ["admin"] }, key, { ttl: "1h" });
  const adminToken = await mintToken({ sub: "ops2", roles: ["admin"] }, key, {
    ttl: "1h",
    aud: "realtime-admin",
  });
  assert.equal((await get(hubToken)).status, 401);
  assert.equal((await get(adminToken)).status, 200);

  const revoke = await fetch(`${base}/revoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ user: "ops2" }),
  });
  const revoked = await revoke.json();
  // Alone on its in-memory engine, the hub's answer is the whole answer, labelled local.
  assert.deepEqual(
    [revoked.user, revoked.disconnected, revoked.scope, revoked.answered, revoked.missing],
    ["ops2", 0, "local", 1, []],
  );
  assert.deepEqual(await get(adminToken), {
    status: 401,
    body: { code: "AUTH_FAILED", message: "Admin token has been revoked" },
  });
  // ...and on /ws, as before: closed with 4001 and the reason (the server's reject "close").
  const socket = new TestSocket(started.url.replace("localhost", "127.0.0.1"), {
    protocols: ["auth", hubToken],
  });
  const closed = await socket.closed;
  assert.deepEqual([closed.code, closed.reason], [4001, "Token has been revoked"]);
  await socket.close();
});
