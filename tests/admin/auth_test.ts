// The admin credential over real HTTP: API key, admin JWTs, and nothing configured.

import assert from "node:assert/strict";
import { createAdminHandler } from "../../src/admin/handler.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { createHub } from "../../src/server/create_hub.ts";
import { SECRET } from "../_support/hub.ts";
import { ADMIN_KEY, adminToken, adminVerifier, call, CHAT, startAdmin } from "./_helpers.ts";

const ROUTES: [string, string, unknown?][] = [
  ["POST", "/v1/realtime/broadcast", { payload: 1 }],
  ["POST", "/v1/realtime/send/alice", { event: "e", payload: 1 }],
  ["GET", "/v1/realtime/stats"],
  ["GET", "/v1/realtime/users/alice/status"],
  ["DELETE", "/v1/realtime/users/alice/connections"],
  ["GET", "/v1/realtime/topics/chat:lobby"],
  ["POST", "/v1/realtime/revoke", { user: "alice" }],
  ["PUT", "/v1/realtime/rules", { rules: [] }],
  ["GET", "/v1/realtime/nope"],
];

Deno.test("createAdminHandler answers 401 on every route when no credential is configured", async () => {
  await using f = await startAdmin({ apiKey: undefined });
  const alice = await f.open("alice");
  await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  for (const [method, path, body] of ROUTES) {
    for (const credential of [ADMIN_KEY, null, "anything"]) {
      const res = await call(f.base, method, path, { body, credential });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.json.code, "AUTH_FAILED");
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
  }
  assert.equal(f.h.hub.isUserConnected("alice"), true, "a refused request disconnected alice");
  assert.equal(f.h.hub.subscriberCount("chat:lobby"), 1);
  assert.ok(f.audit.every((e) => e.event === "admin.auth_failed" && e.reason === "not_configured"));
});

Deno.test("createAdminHandler refuses a missing or wrong API key with 401 and changes nothing", async () => {
  await using f = await startAdmin();
  const alice = await f.open("alice");
  await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  const wrong = [null, "", ADMIN_KEY + "x", ADMIN_KEY.slice(0, -1), ADMIN_KEY.toUpperCase()];
  for (const credential of wrong) {
    for (const [method, path, body] of ROUTES) {
      const res = await call(f.base, method, path, { body, credential });
      assert.equal(res.status, 401, `${method} ${path} with ${JSON.stringify(credential)}`);
      assert.equal(res.json.code, "AUTH_FAILED");
      assert.equal(typeof res.json.message, "string");
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
  }
  const basic = await call(f.base, "GET", "/v1/realtime/stats", {
    credential: null,
    headers: { authorization: `Basic ${btoa("admin:" + ADMIN_KEY)}` },
  });
  assert.equal(basic.status, 401);
  assert.equal(basic.headers.get("www-authenticate"), "Bearer");
  // Nothing reached alice: the next message she gets is the one sent with the key.
  assert.equal(f.h.hub.isUserConnected("alice"), true);
  const ok = await call(f.base, "POST", "/v1/realtime/send/alice", {
    body: { event: "sentinel", payload: 0 },
  });
  assert.equal(ok.status, 200);
  assert.equal((await alice.next((m) => m.type === "message")).event, "sentinel");
  assert.equal(f.h.hub.subscriberCount("chat:lobby"), 1);
});

Deno.test("createAdminHandler accepts an admin JWT with the role and refuses one without with 403", async () => {
  await using f = await startAdmin({ apiKey: undefined, verifier: adminVerifier() });
  const admin = await adminToken({ sub: "ops-1", roles: ["admin"] });
  const member = await adminToken({ sub: "ops-2", roles: ["member"] });
  const hubSigned = await mintToken({ sub: "ops-3", roles: ["admin"] }, { secret: SECRET });

  const stats = await call(f.base, "GET", "/v1/realtime/stats", { credential: admin });
  assert.equal(stats.status, 200);
  assert.equal(stats.json.connections, 0);
  assert.equal(f.audit.at(-1)?.event, "admin.stats");
  assert.equal(f.audit.at(-1)?.actor, "ops-1");
  assert.equal(f.audit.at(-1)?.via, "jwt");

  const alice = await f.open("alice");
  const forbidden = await call(f.base, "DELETE", "/v1/realtime/users/alice/connections", {
    credential: member,
  });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.json.code, "FORBIDDEN");
  assert.equal(f.h.hub.isUserConnected("alice"), true);
  assert.equal(f.audit.at(-1)?.event, "admin.forbidden");
  assert.equal(f.audit.at(-1)?.actor, "ops-2");

  // A token signed with another key, and the API key itself (none configured), are refused.
  for (const credential of [hubSigned, ADMIN_KEY, admin.slice(0, -2) + "xx"]) {
    const res = await call(f.base, "GET", "/v1/realtime/stats", { credential });
    assert.equal(res.status, 401);
    assert.equal(res.json.code, "AUTH_FAILED");
    assert.equal(res.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
  }
  await alice.close();
});

Deno.test("createAdminHandler honours a custom adminRole and accepts both credentials when both are set", async () => {
  await using f = await startAdmin({ verifier: adminVerifier(), adminRole: "realtime-ops" });
  const ops = await adminToken({ sub: "ops", roles: ["realtime-ops"] });
  const admin = await adminToken({ sub: "boss", roles: ["admin"] });
  assert.equal((await call(f.base, "GET", "/v1/realtime/stats", { credential: ops })).status, 200);
  assert.equal(
    (await call(f.base, "GET", "/v1/realtime/stats", { credential: admin })).status,
    403,
  );
  assert.equal((await call(f.base, "GET", "/v1/realtime/stats")).status, 200);
  assert.deepEqual(f.audit.map((e) => [e.event, e.actor]), [
    ["admin.stats", "ops"],
    ["admin.forbidden", "boss"],
    ["admin.stats", "api_key"],
  ]);
});

Deno.test("createAdminHandler resolves to undefined outside its prefix so apps can chain it", async () => {
  await using f = await startAdmin({ prefix: "/ops" });
  for (const path of ["/", "/v1/realtime/stats", "/opsx/stats", "/metrics"]) {
    const res = await call(f.base, "GET", path);
    assert.deepEqual([res.status, res.text], [418, "app"], path);
  }
  assert.equal((await call(f.base, "GET", "/ops/stats")).status, 200);
  assert.equal((await call(f.base, "GET", "/ops")).status, 404);
});

Deno.test("createAdminHandler validates its options at creation", () => {
  const hub = createHub({ auth: { secret: SECRET }, log: () => {} });
  const bad: [unknown, ErrorConstructor][] = [
    [{ apiKey: "short" }, RangeError],
    [{ apiKey: 42 }, TypeError],
    [{ verifier: {} }, TypeError],
    [{ adminRole: "" }, TypeError],
    [{ prefix: "v1" }, TypeError],
    [{ prefix: "/v1/" }, TypeError],
    [{ audit: "stderr" }, TypeError],
  ];
  for (const [options, type] of bad) {
    assert.throws(() => createAdminHandler(hub, options as never), type, JSON.stringify(options));
  }
  assert.throws(() => createAdminHandler({} as never, {}), TypeError);
  void hub.close();
});

Deno.test("createAdminHandler never puts the credential in an audit entry", async () => {
  await using f = await startAdmin({ verifier: adminVerifier() });
  const member = await adminToken({ sub: "m", roles: [] });
  const admin = await adminToken({ sub: "a", roles: ["admin"] });
  await f.open("alice", CHAT);
  for (const credential of [ADMIN_KEY, ADMIN_KEY + "!", member, admin, null]) {
    for (const [method, path, body] of ROUTES) {
      await call(f.base, method, path, { body, credential });
    }
  }
  const text = JSON.stringify(f.audit);
  for (const secret of [ADMIN_KEY, member, admin, ADMIN_KEY + "!"]) {
    assert.equal(text.includes(secret), false);
  }
  assert.ok(f.audit.length >= ROUTES.length * 5);
});
