import assert from "node:assert/strict";
import { startServer } from "../../src/server/start.ts";
import { loadServerConfig } from "../../src/server/config.ts";
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

Deno.test("startServer's signed-up users may recover chat rooms after a reconnect, and see who is online", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using started = await startServer({ port: 0, hostname: "127.0.0.1" }, {
      devKeyDir: dir,
    });
    const base = `http://127.0.0.1:${started.server.port}`;
    const res = await post(base, "/auth/signup", {
      username: "carol",
      password: "correct horse battery",
    });
    const { accessToken } = await res.json();
    const open = async () =>
      (await connectWelcomed(`ws://127.0.0.1:${started.server.port}/ws`, {
        protocols: ["realtime.v1", "auth", accessToken],
      }))[0];
    const first = await open();
    const ack = await first.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
    await first.close();
    await started.hub.publish("chat:lobby", "while away");
    // A reconnect is a new connection: resuming from the last position reads history.
    const second = await open();
    const resumed = await second.request({
      type: "subscribe",
      id: 2,
      topic: "chat:lobby",
      since: { offset: ack.offset, epoch: ack.epoch },
    });
    assert.equal(resumed.recovered, true, JSON.stringify(resumed));
    const missed = await second.next((f) => f.type === "message");
    assert.equal(missed.payload, "while away");
    const online = await second.request({ type: "presence", id: 3, topic: "chat:lobby" });
    assert.equal(online.type, "presence", JSON.stringify(online));
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer in development: a signed-up user reads history and presence of the demo rooms", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using started = await startServer({ port: 0, hostname: "127.0.0.1" }, {
      devKeyDir: dir,
      log: () => {},
    });
    const res = await post(`http://127.0.0.1:${started.server.port}`, "/auth/signup", {
      username: "dora",
      password: "correct horse battery",
    });
    assert.equal(res.status, 201);
    const { accessToken } = await res.json();
    const [socket] = await connectWelcomed(`ws://127.0.0.1:${started.server.port}/ws`, {
      protocols: ["realtime.v1", "auth", accessToken],
    });
    try {
      // What the demo page asks: follow who is online, read who is, read what was said.
      const subscribed = await socket.request({
        type: "subscribe",
        id: 1,
        topic: "chat:lobby",
        presence: true,
      });
      assert.equal(subscribed.type, "ack", JSON.stringify(subscribed));
      const presence = await socket.request({ type: "presence", id: 2, topic: "chat:lobby" });
      assert.equal(presence.type, "presence", JSON.stringify(presence));
      const history = await socket.request({ type: "history", id: 3, topic: "chat:lobby" });
      assert.equal(history.type, "history", JSON.stringify(history));
    } finally {
      await socket.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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

for (const transport of ["ws", "deno"] as const) {
  Deno.test(`startServer limits logins per client address by the hub's trustProxy rules [${transport}]`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      // The test client is the proxy on 127.0.0.1: it appends 203.0.113.7
      // after entries a client forged, a new one on every request.
      await using started = await startServer(
        {
          port: 0,
          hostname: "127.0.0.1",
          transport,
          trustProxy: { hops: 1, addresses: ["127.0.0.1"] },
        },
        { devKeyDir: dir },
      );
      const base = `http://127.0.0.1:${started.server.port}`;
      const send = (path: string, body: unknown, forwardedFor?: string) =>
        fetch(`${base}${path}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor }),
          },
          body: JSON.stringify(body),
        });
      const account = { username: "alice", password: "correct horse battery" };
      // The per-address burst is 20; a taken username costs no hash, so
      // the burst is spent in milliseconds, well inside one refill (6 s).
      const statuses = [];
      for (let i = 0; i < 20; i++) {
        const res = await send("/auth/signup", account, `198.51.100.${i}, 203.0.113.7`);
        statuses.push(res.status);
        await res.body?.cancel();
      }
      assert.deepEqual(statuses, [201, ...Array(19).fill(409)]);
      const limited = await send("/auth/login", account, "192.0.2.99, 203.0.113.7");
      assert.equal(limited.status, 429);
      assert.equal((await limited.json()).code, "RATE_LIMITED");
      assert.match(limited.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
      // The proxy's own address is another client: not limited.
      const direct = await send("/auth/login", account);
      assert.equal(direct.status, 200);
      await direct.body?.cancel();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("startServer configured with REALTIME_ACCOUNTS=sqlite:<file> mounts /auth on that store", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const adminKey = "an-admin-key-of-some-length";
    const config = await loadServerConfig({
      REALTIME_JWT_SECRET: "a-configured-secret-of-32-bytes!!!",
      REALTIME_ACCOUNTS: `sqlite:${dir}/users.db`,
      REALTIME_ADMIN_KEY: adminKey,
      REALTIME_HOST: "127.0.0.1",
      PORT: "0",
      REALTIME_ENV: "production",
    });
    await using started = await startServer(config);
    const base = `http://127.0.0.1:${started.server.port}`;
    const added = await fetch(`${base}/v1/realtime/accounts/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ username: "alice", password: "correct horse battery" }),
    });
    assert.equal(added.status, 201);
    await added.body?.cancel();
    const signup = await post(base, "/auth/signup", { username: "bob", password: "x".repeat(12) });
    assert.deepEqual([signup.status, (await signup.json()).code], [403, "SIGNUP_DISABLED"]);
    const login = await post(base, "/auth/login", {
      username: "alice",
      password: "correct horse battery",
    });
    assert.equal(login.status, 200);
    const { accessToken } = await login.json();
    const [socket, welcome] = await connectWelcomed(`ws://127.0.0.1:${started.server.port}/ws`, {
      protocols: ["realtime.v1", "auth", accessToken],
    });
    assert.equal(welcome.user, "alice");
    await socket.close();
    assert.equal((await Deno.stat(`${dir}/users.db`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer without a configured accounts store mounts no /auth on a configured server", async () => {
  const config = await loadServerConfig({
    REALTIME_JWT_SECRET: "a-configured-secret-of-32-bytes!!!",
    REALTIME_HOST: "127.0.0.1",
    PORT: "0",
  });
  await using started = await startServer(config, {
    fetch: () => new Response("app", { status: 404 }),
  });
  const res = await post(`http://127.0.0.1:${started.server.port}`, "/auth/login", {});
  assert.deepEqual([res.status, await res.text()], [404, "app"]);
});

Deno.test("startServer refuses an accounts store it cannot mint for, and hides a PostgreSQL password", async () => {
  await assert.rejects(
    async () =>
      await startServer({
        port: 0,
        hostname: "127.0.0.1",
        auth: {
          publicKey:
            '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}',
        },
        accounts: "sqlite::memory:",
      }),
    TypeError,
    "no shared secret",
  );
  // Nothing listens on port 1: the connection is refused at once.
  const error = await startServer({
    port: 0,
    hostname: "127.0.0.1",
    auth: { secret: "a-configured-secret-of-32-bytes!!!" },
    accounts: "postgres://hub:s3cret-pw@127.0.0.1:1/hub",
  }).then(() => undefined, (e: Error) => e);
  assert.ok(error instanceof Error);
  assert.match(
    error.message,
    /^Cannot open the accounts store postgres:\/\/hub:\*\*\*@127\.0\.0\.1:1\/hub/,
  );
  assert.ok(!error.message.includes("s3cret-pw"));
});
