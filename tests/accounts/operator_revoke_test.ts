// An operator's revoke (POST /v1/realtime/revoke, what the console's Revoke
// sends) against an accounts user, end to end over real HTTP and WebSocket
// on 127.0.0.1 with each store: the user's connections close with 4003, and
// their refresh tokens stop working, so they cannot refresh back in; their
// password still logs them in (revoke is not disable).

import assert from "node:assert/strict";
import { startServer } from "../../src/server/start.ts";
import { createSqliteStore } from "../../src/accounts/sqlite_store.ts";
import { createPostgresStore } from "../../src/accounts/postgres_store.ts";
import type { AccountStore } from "../../src/accounts/store.ts";
import { connectWelcomed, withTimeout } from "../_support/client.ts";
import { findPostgresBin, startPostgres } from "./_postgres.ts";

const SECRET = "operator-revoke-secret-of-32-bytes!!!";
const ADMIN_KEY = "operator-revoke-admin-key-0123456789";
const PASSWORD = "correct horse battery";

async function revokeEndsSessions(store: AccountStore): Promise<void> {
  await using started = await startServer(
    { port: 0, hostname: "127.0.0.1", auth: { secret: SECRET }, adminKey: ADMIN_KEY },
    { accounts: { store, signup: true }, log: () => {} },
  );
  const base = `http://127.0.0.1:${started.server.port}`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const account = { username: "alice", password: PASSWORD };
  const laptop = await post("/auth/signup", account);
  assert.equal(laptop.status, 201);
  const phone = await post("/auth/login", account);
  assert.equal(phone.status, 200);
  const [socket] = await connectWelcomed(`ws://127.0.0.1:${started.server.port}/ws`, {
    protocols: ["realtime.v1", "auth", laptop.body.accessToken],
  });

  const revoked = await post("/v1/realtime/revoke", { user: "alice" }, {
    authorization: `Bearer ${ADMIN_KEY}`,
  });
  const { user, disconnected, sessionsEnded, scope } = revoked.body;
  assert.deepEqual([revoked.status, user, disconnected, sessionsEnded, scope], [
    200,
    "alice",
    1,
    2,
    "local",
  ]);
  assert.equal((await withTimeout(socket.closed, 2000, "the connection to close")).code, 4003);
  for (const session of [laptop, phone]) {
    const refresh = await post("/auth/refresh", { refreshToken: session.body.refreshToken });
    assert.deepEqual([refresh.status, refresh.body.code], [401, "INVALID_REFRESH_TOKEN"]);
  }
  // Revoke signs the user out everywhere; their password still signs them in.
  const again = await post("/auth/login", account);
  assert.equal(again.status, 200);
  const [fresh, welcome] = await connectWelcomed(`ws://127.0.0.1:${started.server.port}/ws`, {
    protocols: ["realtime.v1", "auth", again.body.accessToken],
  });
  assert.equal(welcome.user, "alice");
  await fresh.close();
  // A subject the accounts never issued ends no session.
  const other = await post("/v1/realtime/revoke", { user: "Alice" }, {
    authorization: `Bearer ${ADMIN_KEY}`,
  });
  assert.equal(other.body.sessionsEnded, 0);
  const live = await post("/auth/refresh", { refreshToken: again.body.refreshToken });
  assert.equal(live.status, 200);
}

Deno.test("an operator's revoke ends an accounts user's refresh sessions [sqlite]", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await revokeEndsSessions(createSqliteStore(`${dir}/accounts.db`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const bin = findPostgresBin();
Deno.test({
  name: "an operator's revoke ends an accounts user's refresh sessions [postgres]",
  ignore: bin === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startPostgres(bin!);
    try {
      const { url, drop } = await server.createDatabase();
      try {
        // startServer closes the store it was given.
        await revokeEndsSessions(await createPostgresStore(url));
      } finally {
        await drop();
      }
    } finally {
      await server.stop();
    }
  },
});
