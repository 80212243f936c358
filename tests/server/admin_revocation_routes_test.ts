// One admin credential for every admin route, as `startServer` mounts them:
// the admin API, the console's routes, `/metrics` and the accounts' user
// routes all refuse an admin JWT once `POST /revoke` revoked its subject,
// over real HTTP on 127.0.0.1.

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import { startServer } from "../../src/server/start.ts";
import { ROUTES } from "../../src/admin/_routes.ts";

const SECRET = "revocation-routes-secret-of-32-bytes!!";
const ADMIN_KEY = "revocation-routes-admin-key-0123456789";
const PASSWORD = "correct horse battery";

/** A body that would act if the credential were accepted. */
const BODIES: Record<string, unknown> = {
  broadcast: { topic: "chat:lobby", payload: "hi" },
  send: { event: "e", payload: 1 },
  revoke: { user: "alice" },
  rules_update: { rules: [{ effect: "allow", actions: "*", topics: ["**"] }] },
  rules_check: { rules: [] },
  acl_explain: { claims: { sub: "a" }, action: "subscribe", topic: "chat:x" },
};

/** Every accounts admin route, with a body that would change something. */
const ACCOUNTS_ROUTES: [string, string, unknown?][] = [
  ["GET", "/users"],
  ["POST", "/users", { username: "mallory", password: PASSWORD, acl: { "**": ["publish"] } }],
  ["GET", "/users/alice"],
  ["PATCH", "/users/alice", { roles: ["admin"] }],
  ["POST", "/users/alice/password", { password: "a password the operator chose" }],
];

Deno.test("startServer refuses a revoked admin JWT on every admin route, accounts routes included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using started = await startServer(
      {
        port: 0,
        hostname: "127.0.0.1",
        auth: { secret: SECRET },
        adminKey: ADMIN_KEY,
        accounts: `sqlite:${dir}/accounts.db`,
        metrics: "admin",
      },
      { log: () => {} },
    );
    const origin = `http://127.0.0.1:${started.server.port}`;
    const send = async (method: string, path: string, credential: string, body?: unknown) => {
      const res = await fetch(`${origin}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${credential}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, text };
    };
    const added = await send("POST", "/v1/realtime/accounts/users", ADMIN_KEY, {
      username: "alice",
      password: PASSWORD,
    });
    assert.equal(added.status, 201);

    const ops = await mintToken({ sub: "ops", roles: ["admin"] }, { secret: SECRET }, {
      ttl: "1h",
      aud: "realtime-admin",
    });
    assert.equal((await send("GET", "/v1/realtime/accounts/users", ops)).status, 200);
    assert.equal((await send("GET", "/v1/realtime/stats", ops)).status, 200);
    const revoked = await send("POST", "/v1/realtime/revoke", ADMIN_KEY, { user: "ops" });
    assert.equal(revoked.status, 200);

    const routes: [string, string, unknown?][] = [
      ...ROUTES.map((route): [string, string, unknown?] => [
        route.method,
        `/v1/realtime/${
          route.path.map((part) => part === ":topic" ? "chat:lobby" : part.replace(/^:.*/, "alice"))
            .join("/")
        }`,
        BODIES[route.action],
      ]),
      ...ACCOUNTS_ROUTES.map(([method, path, body]): [string, string, unknown?] => [
        method,
        `/v1/realtime/accounts${path}`,
        body,
      ]),
      ["GET", "/metrics"],
    ];
    assert.ok(routes.length > 20);
    for (const [method, path, body] of routes) {
      const res = await send(method, path, ops, body);
      assert.equal(res.status, 401, `${method} ${path}: ${res.text}`);
      assert.deepEqual(
        JSON.parse(res.text),
        { code: "AUTH_FAILED", message: "Admin token has been revoked" },
        `${method} ${path}`,
      );
    }

    // Nothing changed: no user was added, alice's password and roles are hers.
    const users = JSON.parse((await send("GET", "/v1/realtime/accounts/users", ADMIN_KEY)).text);
    assert.deepEqual(users.users.map((u: { username: string }) => u.username), ["alice"]);
    assert.deepEqual(users.users[0].roles, []);
    const login = await fetch(`${origin}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "alice", password: PASSWORD }),
    });
    assert.equal(login.status, 200);
    await login.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
