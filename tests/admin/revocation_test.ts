// Admin JWTs over real HTTP: revocation applies as on /ws, and only tokens
// with exp and the admin audience are admin credentials.

import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { SECRET } from "../_support/hub.ts";
import { withTimeout } from "../_support/client.ts";
import { ADMIN_SECRET, adminToken, adminVerifier, alone, call, startAdmin } from "./_helpers.ts";

const OPEN_ALL = {
  rules: [{ effect: "allow", actions: ["subscribe", "publish"], topics: ["**"] }],
};

Deno.test("createAdminHandler refuses a revoked admin JWT with 401 and changes nothing, as /ws does", async () => {
  await using f = await startAdmin({ verifier: adminVerifier() });
  const ops2 = await adminToken({ sub: "ops2", roles: ["admin"] });
  assert.equal((await call(f.base, "GET", "/v1/realtime/stats", { credential: ops2 })).status, 200);

  const revoked = await call(f.base, "POST", "/v1/realtime/revoke", { body: { user: "ops2" } });
  assert.equal(revoked.status, 200);

  const rules = await call(f.base, "PUT", "/v1/realtime/rules", {
    body: OPEN_ALL,
    credential: ops2,
  });
  assert.equal(rules.status, 401);
  assert.deepEqual(rules.json, { code: "AUTH_FAILED", message: "Admin token has been revoked" });
  assert.equal(rules.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
  assert.equal(f.audit.at(-1)?.event, "admin.auth_failed");
  assert.equal(f.audit.at(-1)?.reason, "revoked");
  // The rules did not change: a socket still cannot subscribe outside its capabilities.
  const alice = await f.open("alice", { "chat:*": ["subscribe"] });
  const denied = await alice.request({ type: "subscribe", id: 1, topic: "secret:x" });
  assert.equal(denied.type, "error");
  assert.equal((await call(f.base, "GET", "/v1/realtime/stats", { credential: ops2 })).status, 401);

  // A token issued after the revocation is accepted again.
  const fresh = await adminToken({ sub: "ops2", roles: ["admin"] }, {
    now: () => Date.now() + 2000,
  });
  assert.equal(
    (await call(f.base, "GET", "/v1/realtime/stats", { credential: fresh })).status,
    200,
  );
});

Deno.test("createAdminHandler refuses a token without the admin audience or without exp", async () => {
  // requireExp off on the verifier: the admin API still demands exp.
  const verifier = createTokenVerifier({ secret: ADMIN_SECRET, requireExp: false });
  await using f = await startAdmin({ apiKey: undefined, verifier });
  const key = new TextEncoder().encode(ADMIN_SECRET);
  const cases: [string, Promise<string>, string, string][] = [
    [
      "a hub token (no aud)",
      mintToken({ sub: "ops", roles: ["admin"] }, { secret: ADMIN_SECRET }),
      "wrong_audience",
      "Admin token audience must include 'realtime-admin'",
    ],
    [
      "a token for the hub's audience",
      mintToken({ sub: "ops", roles: ["admin"] }, { secret: ADMIN_SECRET }, { aud: "realtime" }),
      "wrong_audience",
      "Admin token audience must include 'realtime-admin'",
    ],
    [
      "a token without exp",
      new SignJWT({ sub: "ops", roles: ["admin"], aud: "realtime-admin" })
        .setProtectedHeader({ alg: "HS256" }).setIssuedAt().sign(key),
      "no_exp",
      "Admin token must carry 'exp'",
    ],
  ];
  for (const [name, token, reason, message] of cases) {
    const res = await call(f.base, "PUT", "/v1/realtime/rules", {
      body: OPEN_ALL,
      credential: await token,
    });
    assert.equal(res.status, 401, name);
    assert.deepEqual(res.json, { code: "AUTH_FAILED", message }, name);
    assert.equal(f.audit.at(-1)?.reason, reason, name);
  }
  const both = await adminToken({ sub: "ops", roles: ["admin"] }, {
    aud: ["realtime", "realtime-admin"],
  });
  assert.equal((await call(f.base, "GET", "/v1/realtime/stats", { credential: both })).status, 200);
});

Deno.test("createAdminHandler honours a configured admin audience", async () => {
  await using f = await startAdmin({ verifier: adminVerifier(), audience: "ops-console" });
  const ours = await adminToken({ sub: "ops", roles: ["admin"] }, { aud: "ops-console" });
  const defaultAud = await adminToken({ sub: "ops", roles: ["admin"] });
  assert.equal((await call(f.base, "GET", "/v1/realtime/stats", { credential: ours })).status, 200);
  const res = await call(f.base, "GET", "/v1/realtime/stats", { credential: defaultAud });
  assert.equal(res.status, 401);
  assert.equal(res.json.message, "Admin token audience must include 'ops-console'");
  // A hub token signed with the hub's secret is no admin credential either.
  const hubToken = await mintToken({ sub: "ops", roles: ["admin"] }, { secret: SECRET });
  assert.equal(
    (await call(f.base, "GET", "/v1/realtime/stats", { credential: hubToken })).status,
    401,
  );
});

Deno.test("createAdminHandler's POST /revoke ends the user's sessions before the hub's cut-off, and revokes even when that fails", async () => {
  const seen: [string, boolean][] = [];
  let fail = false;
  await using f = await startAdmin({
    endSessions(user) {
      // The hub has not revoked yet: a token minted now would still be refused afterwards.
      const principal = { sub: user, roles: [], claims: { iat: 1 }, expiresAt: null };
      seen.push([user, f.h.hub.isRevoked(principal)]);
      return fail ? Promise.reject(new Error("store down")) : Promise.resolve(3);
    },
  });
  const alice = await f.open("alice");
  const res = await call(f.base, "POST", "/v1/realtime/revoke", { body: { user: "alice" } });
  assert.deepEqual([res.status, alone(res.json)], [200, {
    user: "alice",
    disconnected: 1,
    sessionsEnded: 3,
  }]);
  assert.deepEqual(seen, [["alice", false]]);
  assert.equal((await withTimeout(alice.closed, 2000, "alice's close")).code, 4003);
  assert.equal(f.audit.at(-1)?.sessionsEnded, 3);

  fail = true;
  const bob = await f.open("bob");
  const failed = await call(f.base, "POST", "/v1/realtime/revoke", { body: { user: "bob" } });
  assert.deepEqual([failed.status, failed.json.code], [500, "INTERNAL"]);
  assert.equal((await withTimeout(bob.closed, 2000, "bob's close")).code, 4003);
  // The store's failure is the operator's to read in the log, never the client's.
  assert.equal(failed.text.includes("store down"), false);
});
