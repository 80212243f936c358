import assert from "node:assert/strict";
import { startServer } from "../../src/server/start.ts";
import { connectWelcomed } from "../_support/client.ts";

async function post(base: string, path: string, body: unknown): Promise<Response> {
  return await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test({
  name:
    "startServer mounts /auth beside the hub: a signed-up user connects, and survives a restart",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const config = { port: 0, hostname: "127.0.0.1" };
      let base: string;
      {
        await using started = await startServer(config, { devKeyDir: dir });
        base = `http://127.0.0.1:${started.server.port}`;
        const res = await post(base, "/auth/signup", {
          username: "alice",
          password: "correct horse battery",
        });
        assert.equal(res.status, 201);
        const { accessToken } = await res.json();
        const [socket, welcome] = await connectWelcomed(
          `ws://127.0.0.1:${started.server.port}/ws`,
          {
            protocols: ["realtime.v1", "auth", accessToken],
          },
        );
        assert.equal(welcome.user, "alice");
        const ack = await socket.request({ type: "subscribe", id: 1, topic: "user:alice" });
        assert.equal(ack.type, "ack");
        await socket.close();
      }
      assert.equal((await Deno.stat(`${dir}/accounts.db`)).mode! & 0o777, 0o600);
      await using again = await startServer(config, { devKeyDir: dir });
      base = `http://127.0.0.1:${again.server.port}`;
      const login = await post(base, "/auth/login", {
        username: "alice",
        password: "correct horse battery",
      });
      assert.equal(login.status, 200);
      await login.body?.cancel();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("startServer with a configured secret mounts /auth with sign-up closed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using started = await startServer(
      { port: 0, hostname: "127.0.0.1", auth: { secret: "a-configured-secret-of-32-bytes!!!" } },
      { accounts: { dir } },
    );
    const res = await post(`http://127.0.0.1:${started.server.port}`, "/auth/signup", {
      username: "alice",
      password: "correct horse battery",
    });
    assert.deepEqual([res.status, (await res.json()).code], [403, "SIGNUP_DISABLED"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer serves the user admin routes beside the admin API, behind REALTIME_ADMIN_KEY", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const adminKey = "an-admin-key-of-some-length";
    await using started = await startServer(
      { port: 0, hostname: "127.0.0.1", adminKey },
      { devKeyDir: dir },
    );
    const base = `http://127.0.0.1:${started.server.port}/v1/realtime`;
    const denied = await fetch(`${base}/accounts/users`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const added = await fetch(`${base}/accounts/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        username: "ops",
        password: "correct horse battery",
        roles: ["admin"],
      }),
    });
    assert.equal(added.status, 201);
    await added.body?.cancel();
    // The hub's own admin API still answers under the same prefix.
    const stats = await fetch(`${base}/stats`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    assert.equal(stats.status, 200);
    await stats.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
