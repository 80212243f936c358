// One structured audit entry per security event, over real sockets and HTTP,
// and never a token, the signing secret or the admin API key in any entry.

import assert from "node:assert/strict";
import { createAdminHandler } from "../../src/admin/handler.ts";
import { mintToken } from "../../src/auth/mint.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { connectWelcomed, TestSocket, withTimeout } from "../_support/client.ts";
import { SECRET, startTestHub } from "../_support/hub.ts";
import {
  ADMIN_KEY,
  ADMIN_SECRET,
  adminToken,
  adminVerifier,
  call,
  serveHandler,
} from "../admin/_helpers.ts";

const FORGER = "a-forger-secret-of-at-least-32-bytes!!";

Deno.test("audit gets exactly one entry per security event and none holds a credential", async () => {
  const audit: LogEntry[] = [];
  const log: LogEntry[] = [];
  await using h = await startTestHub("deno", {
    audit: (entry) => audit.push(entry),
    log: (entry) => log.push(entry),
    limits: { messageRate: 1, messageBurst: 2 },
    acl: { rules: [{ effect: "allow", actions: ["subscribe", "publish"], topics: ["chat:*"] }] },
  });
  await using admin = serveHandler(createAdminHandler(h.hub, {
    apiKey: ADMIN_KEY,
    verifier: adminVerifier(),
    audit: (entry) => audit.push(entry),
  }));
  const tokens: string[] = [];
  const token = async (sub: string) => {
    const t = await h.token({ sub });
    tokens.push(t);
    return t;
  };
  const forged = async (sub: string) => {
    const t = await mintToken({ sub }, { secret: FORGER });
    tokens.push(t);
    return t;
  };
  const sockets: TestSocket[] = [];
  const open = async (sub: string) => {
    const [socket] = await connectWelcomed(h.url, { protocols: ["auth", await token(sub)] });
    sockets.push(socket);
    return socket;
  };

  // Authentication failures: a bad token in the query, and in a first-message auth.
  const byQuery = new TestSocket(`${h.url}?token=${await forged("mallory")}`);
  await assert.rejects(byQuery.opened);
  const byMessage = new TestSocket(h.url);
  await withTimeout(byMessage.opened, 3000, "open");
  const failed = await byMessage.request({ type: "auth", id: 1, token: await forged("eve") });
  assert.equal(failed.code, "AUTH_FAILED");
  assert.equal((await withTimeout(byMessage.closed, 3000, "close")).code, 4001);

  // Forbidden subscribe and publish.
  const alice = await open("alice");
  assert.equal(
    (await alice.request({ type: "subscribe", id: 1, topic: "secret:plans" })).code,
    "FORBIDDEN",
  );
  assert.equal(
    (await alice.request({ type: "publish", id: 2, topic: "secret:plans", payload: 1 })).code,
    "FORBIDDEN",
  );

  // A rate limit: a burst of two, then the third frame is refused.
  const chatty = await open("chatty");
  for (const id of [1, 2, 3]) chatty.send({ type: "ping", id });
  // The refusal carries no id: the hub rejects the frame before parsing it.
  assert.equal((await chatty.next((f) => f.type === "error")).code, "RATE_LIMITED");

  // A revocation and other admin actions, with the key and with admin JWTs.
  const rita = await open("rita");
  const bob = await open("bob");
  const opsToken = await adminToken({ sub: "ops", roles: ["admin"] });
  const internToken = await adminToken({ sub: "intern", roles: [] });
  tokens.push(opsToken, internToken);
  const A = "/v1/realtime";
  const calls: [string, string, Parameters<typeof call>[3], number][] = [
    ["POST", `${A}/revoke`, { body: { user: "rita" } }, 200],
    ["GET", `${A}/stats`, { credential: opsToken }, 200],
    ["DELETE", `${A}/users/bob/connections`, {}, 200],
    ["PUT", `${A}/rules`, { body: { rules: [] } }, 200],
    ["POST", `${A}/broadcast`, { body: { payload: { note: "secret payload" } } }, 200],
    ["POST", `${A}/broadcast`, { body: { users: ["alice"] } }, 400],
    ["GET", `${A}/stats`, { credential: ADMIN_KEY + "-wrong" }, 401],
    ["GET", `${A}/stats`, { credential: internToken }, 403],
  ];
  for (const [method, path, options, status] of calls) {
    assert.equal((await call(admin.base, method, path, options)).status, status, path);
  }
  assert.equal((await withTimeout(rita.closed, 3000, "close")).code, 4003);
  assert.equal((await withTimeout(bob.closed, 3000, "close")).code, 4003);
  for (const socket of sockets) await socket.close();

  for (const entry of audit) {
    assert.equal(typeof entry.event, "string");
    assert.ok(["debug", "info", "warn", "error"].includes(entry.level), entry.event);
  }
  const entries = audit;
  const counts: Record<string, number> = {};
  for (const e of entries) counts[e.event] = (counts[e.event] ?? 0) + 1;
  assert.deepEqual(counts, {
    "auth.failed": 2,
    "acl.denied": 2,
    "rate_limited": 1,
    "revoked": 1,
    "admin.revoke": 1,
    "admin.stats": 1,
    "admin.disconnect": 1,
    "user.disconnected": 1,
    "acl.rules_updated": 1,
    "admin.rules_update": 1,
    "admin.broadcast": 1,
    "admin.rejected": 1,
    "admin.auth_failed": 1,
    "admin.forbidden": 1,
  });
  const one = (match: Partial<LogEntry>) => {
    const found = entries.filter((e) => Object.entries(match).every(([k, v]) => e[k] === v));
    assert.equal(found.length, 1, JSON.stringify(match));
    return found[0];
  };
  one({ event: "auth.failed", source: "upgrade", reason: "bad_signature" });
  one({ event: "auth.failed", source: "message", reason: "bad_signature" });
  one({ event: "acl.denied", action: "subscribe", topic: "secret:plans", user: "alice" });
  one({ event: "acl.denied", action: "publish", topic: "secret:plans", user: "alice" });
  one({ event: "rate_limited", limit: "message_rate", user: "chatty" });
  one({ event: "revoked", user: "rita", connections: 1 });
  one({ event: "admin.revoke", user: "rita", actor: "api_key", via: "api_key" });
  one({ event: "admin.stats", actor: "ops", via: "jwt" });
  one({ event: "admin.disconnect", user: "bob", connections: 1, actor: "api_key" });
  one({ event: "admin.rules_update", rules: 0 });
  one({ event: "admin.broadcast", reached: 2 }); // alice and chatty
  one({ event: "admin.rejected", action: "broadcast", status: 400 });
  one({ event: "admin.auth_failed", reason: "invalid", path: `${A}/stats` });
  one({ event: "admin.forbidden", actor: "intern", reason: "missing_role" });
  assert.ok(entries.every((e) => e.audit === true), "every audit entry is marked");

  // Audit entries go to the audit sink only; the log holds no credential either.
  assert.equal(log.filter((e) => e.audit === true).length, 0);
  const secrets = [...tokens, SECRET, ADMIN_SECRET, FORGER, ADMIN_KEY];
  for (const entry of [...audit, ...log]) {
    const text = JSON.stringify(entry);
    for (const secret of secrets) {
      assert.equal(text.includes(secret), false, `${entry.event} holds a credential`);
    }
  }
  // Payloads are not audited either.
  assert.equal(JSON.stringify(audit).includes("secret payload"), false);
});
