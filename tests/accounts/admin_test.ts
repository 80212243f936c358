import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { ADMIN_KEY, signup, startAccountsServer } from "./_server.ts";
import { SECRET } from "../_support/hub.ts";
import { connectWelcomed, withTimeout } from "../_support/client.ts";

const PASSWORD = "correct horse battery";
const AS_ADMIN = { authorization: `Bearer ${ADMIN_KEY}` };

async function call(
  server: { base: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = AS_ADMIN,
) {
  const res = await fetch(`${server.base}/v1/realtime/accounts${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

Deno.test("accounts admin API refuses a missing or wrong credential and a token without the role", async () => {
  await using server = await startAccountsServer();
  const { accessToken } = await signup(server, "alice");
  assert.equal((await call(server, "GET", "/users", undefined, {})).status, 401);
  assert.equal(
    (await call(server, "GET", "/users", undefined, {
      authorization: "Bearer nope-nope-nope-nope",
    })).status,
    401,
  );
  // A user's access token is for /ws: not the admin audience.
  const member = await call(server, "GET", "/users", undefined, {
    authorization: `Bearer ${accessToken}`,
  });
  assert.deepEqual([member.status, member.body.code], [401, "AUTH_FAILED"]);
  const roleless = await server.hub.token({ sub: "bob" }, { aud: "realtime-admin" });
  const forbidden = await call(server, "GET", "/users", undefined, {
    authorization: `Bearer ${roleless}`,
  });
  assert.deepEqual([forbidden.status, forbidden.body.code], [403, "FORBIDDEN"]);
  const admin = await server.hub.token({ sub: "ops", roles: ["admin"] }, { aud: "realtime-admin" });
  assert.equal(
    (await call(server, "GET", "/users", undefined, { authorization: `Bearer ${admin}` })).status,
    200,
  );
  assert.deepEqual(
    server.logs.filter((e) => e.event.startsWith("accounts.admin.")).map((e) => e.reason),
    ["missing", "invalid", "wrong_audience", "missing_role"],
  );
});

Deno.test("accounts admin API checks admin JWTs as the admin API does: exp, audience, revocation", async () => {
  await using server = await startAccountsServer();
  const key = new TextEncoder().encode(SECRET);
  const noExp = await new SignJWT({ sub: "ops", roles: ["admin"], aud: "realtime-admin" })
    .setProtectedHeader({ alg: "HS256" }).setIssuedAt().sign(key);
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  // The test server's verifier does not itself require exp: the admin check does.
  const withoutExp = await call(server, "GET", "/users", undefined, as(noExp));
  assert.deepEqual(withoutExp.body, {
    code: "AUTH_FAILED",
    message: "Admin token must carry 'exp'",
  });
  const ops = await server.hub.token({ sub: "ops", roles: ["admin"] }, { aud: "realtime-admin" });
  assert.equal((await call(server, "GET", "/users", undefined, as(ops))).status, 200);
  server.hub.hub.revoke({ user: "ops" });
  const added = await call(server, "POST", "/users", {
    username: "mallory",
    password: PASSWORD,
    acl: { "**": ["subscribe", "publish"] },
  }, as(ops));
  assert.deepEqual([added.status, added.body], [401, {
    code: "AUTH_FAILED",
    message: "Admin token has been revoked",
  }]);
  assert.equal((await call(server, "GET", "/users/mallory")).status, 404);
  assert.equal(server.logs.at(-1)?.reason, "revoked");
});

Deno.test("accounts admin API adds, lists, changes roles and acl; the next login carries them", async () => {
  await using server = await startAccountsServer();
  const added = await call(server, "POST", "/users", {
    username: "Bob",
    password: PASSWORD,
    roles: ["member"],
    acl: { "chat:*": ["subscribe"] },
  });
  assert.equal(added.status, 201);
  assert.equal(added.body.username, "bob");
  assert.equal(added.body.passwordHash, undefined);
  const dup = await call(server, "POST", "/users", { username: "bob", password: PASSWORD });
  assert.deepEqual([dup.status, dup.body.code], [409, "USERNAME_TAKEN"]);
  const weak = await call(server, "POST", "/users", { username: "carol", password: "abc" });
  assert.deepEqual([weak.status, weak.body.code], [400, "WEAK_PASSWORD"]);
  const patched = await call(server, "PATCH", "/users/bob", { roles: ["member", "moderator"] });
  assert.deepEqual(patched.body.roles, ["member", "moderator"]);
  const bad = await call(server, "PATCH", "/users/bob", { roles: "admin" });
  assert.deepEqual([bad.status, bad.body.code], [400, "INVALID_REQUEST"]);
  assert.deepEqual((await call(server, "GET", "/users/bob")).body.roles, ["member", "moderator"]);
  assert.deepEqual(
    (await call(server, "GET", "/users")).body.users.map((u: { username: string }) => u.username),
    ["bob"],
  );
  assert.equal((await call(server, "GET", "/users/nobody")).status, 404);
  const audited = server.logs.filter((e) => e.event.startsWith("accounts.admin."));
  assert.deepEqual(audited.map((e) => [e.event, e.actor, e.user]), [
    ["accounts.admin.user_added", "api_key", "bob"],
    ["accounts.admin.user_updated", "api_key", "bob"],
  ]);
  assert.ok(!JSON.stringify(server.logs).includes(PASSWORD));
  const login = await server.post("/auth/login", { username: "bob", password: PASSWORD });
  const { accessToken } = await login.json();
  const claims = JSON.parse(
    atob(accessToken.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")),
  );
  assert.deepEqual(claims.roles, ["member", "moderator"]);
});

Deno.test("accounts admin API: disabling a user ends their sessions and live connections; login is refused", async () => {
  await using server = await startAccountsServer();
  const session = await signup(server, "alice");
  const [socket] = await connectWelcomed(server.hub.url, {
    protocols: ["realtime.v1", "auth", session.accessToken],
  });
  const disabled = await call(server, "PATCH", "/users/alice", { disabled: true });
  assert.equal(disabled.body.disabled, true);
  assert.equal((await withTimeout(socket.closed, 1000, "the connection to close")).code, 4003);
  const refresh = await server.post("/auth/refresh", { refreshToken: session.refreshToken });
  assert.equal(refresh.status, 401);
  await refresh.body?.cancel();
  const login = await server.post("/auth/login", { username: "alice", password: PASSWORD });
  assert.deepEqual([login.status, (await login.json()).code], [403, "ACCOUNT_DISABLED"]);
  await call(server, "PATCH", "/users/alice", { disabled: false });
  const again = await server.post("/auth/login", { username: "alice", password: PASSWORD });
  assert.equal(again.status, 200);
  await again.body?.cancel();
});

Deno.test("accounts admin API resets a password and ends the user's sessions", async () => {
  await using server = await startAccountsServer();
  const session = await signup(server, "alice");
  const reset = await call(server, "POST", "/users/alice/password", {
    password: "a brand new passphrase",
  });
  assert.equal(reset.status, 200);
  const refresh = await server.post("/auth/refresh", { refreshToken: session.refreshToken });
  assert.equal(refresh.status, 401);
  await refresh.body?.cancel();
  const login = await server.post("/auth/login", {
    username: "alice",
    password: "a brand new passphrase",
  });
  assert.equal(login.status, 200);
  await login.body?.cancel();
});
