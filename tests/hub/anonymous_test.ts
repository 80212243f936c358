// Anonymous connections (`anonymous: true`) over real sockets: what rules
// grant them explicitly and nothing else, on both transports.

import assert from "node:assert/strict";
import { connectWelcomed, TestSocket, withTimeout } from "../_support/client.ts";
import { SignJWT } from "jose";
import { eachTransport, SECRET, startTestHub } from "../_support/hub.ts";
import type { AclRule } from "../../src/acl/rules.ts";
import { compileAcl } from "../../src/acl/compile.ts";
import { ANONYMOUS_PRINCIPAL } from "../../src/auth/principal.ts";

const PUBLIC_READ: AclRule = {
  id: "public-read",
  effect: "allow",
  actions: ["subscribe"],
  topics: ["public:**"],
  when: { anonymous: true },
};
// Written for "anyone with a token": it must not reach anonymous connections.
const MEMBERS: AclRule = {
  id: "members",
  effect: "allow",
  actions: ["subscribe", "publish"],
  topics: ["public:**", "chat:*"],
};

eachTransport(
  "anonymous: a token-less connection may subscribe where a rule grants it, and nothing else",
  async (t) => {
    await using h = await startTestHub(t, {
      anonymous: true,
      acl: { rules: [PUBLIC_READ, MEMBERS] },
    });
    const [anon, welcome] = await connectWelcomed(h.url, { protocols: ["realtime.v1"] });
    assert.equal(welcome.user, "anonymous");
    const ok = await anon.request({ type: "subscribe", id: 1, topic: "public:news" });
    assert.equal(ok.type, "ack");
    const chat = await anon.request({ type: "subscribe", id: 2, topic: "chat:lobby" });
    assert.deepEqual([chat.type, chat.code], ["error", "FORBIDDEN"]);
    const pub = await anon.request({ type: "publish", id: 3, topic: "public:news", payload: 1 });
    assert.deepEqual([pub.type, pub.code], ["error", "FORBIDDEN"]);
    // A token holder publishes; the anonymous subscriber receives it.
    const [alice] = await connectWelcomed(h.url, {
      protocols: ["realtime.v1", "auth", await h.token({ sub: "alice" })],
    });
    assert.equal(
      (await alice.request({ type: "publish", id: 1, topic: "public:news", payload: "hi" })).type,
      "ack",
    );
    const message = await anon.next((f) => f.type === "message");
    assert.deepEqual([message.topic, message.payload, message.from], [
      "public:news",
      "hi",
      "alice",
    ]);
    // Counted as a connection, not as a user; its admission is in the metrics.
    const stats = h.hub.stats();
    assert.equal(stats.connections, 2);
    assert.equal(h.hub.userStatus("anonymous").connected, false);
    assert.equal(h.hub.metrics.authSuccesses.get("anonymous"), 1);
    await anon.close();
    await alice.close();
  },
);

eachTransport("anonymous is off by default: a token-less connection gets nothing", async (t) => {
  await using h = await startTestHub(t, { acl: { rules: [PUBLIC_READ] } });
  const pending = new TestSocket(h.url, { protocols: ["realtime.v1"] });
  await withTimeout(pending.opened, 3000, "open");
  const refused = await pending.request({ type: "subscribe", id: 1, topic: "public:news" });
  assert.deepEqual([refused.type, refused.code], ["error", "AUTH_FAILED"]);
  await pending.close();
  await using strict = await startTestHub(t, {
    acl: { rules: [PUBLIC_READ] },
    tokenSources: { firstMessage: false },
  });
  const res = await fetch(strict.url.replace(/^ws/, "http"), {
    headers: {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    },
  });
  assert.equal(res.status, 401);
  await res.body?.cancel();
});

eachTransport("anonymous: a bad token is refused, not let in as anonymous", async (t) => {
  await using h = await startTestHub(t, { anonymous: true, acl: { rules: [PUBLIC_READ] } });
  const socket = new TestSocket(h.url, { protocols: ["realtime.v1", "auth", "not.a.jwt"] });
  await assert.rejects(withTimeout(socket.opened, 3000, "open"));
  assert.ok(h.logs.some((e) => e.event === "auth.failed"));
});

/** A valid token whose `sub` is the reserved name, signed without mintToken (which refuses it). */
function anonymousToken(acl: Record<string, string[]> = {}): Promise<string> {
  return new SignJWT({ acl })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("anonymous")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(SECRET));
}

eachTransport(
  "anonymous: a token whose sub is 'anonymous' is refused, the name is reserved",
  async (t) => {
    await using h = await startTestHub(t, { anonymous: true, acl: { rules: [PUBLIC_READ] } });
    const socket = new TestSocket(h.url, {
      protocols: ["realtime.v1", "auth", await anonymousToken()],
    });
    await assert.rejects(withTimeout(socket.opened, 3000, "open"));
    assert.ok(h.logs.some((e) => e.event === "auth.failed" && e.reason === "reserved_sub"));
    await assert.rejects(
      h.token({ sub: "anonymous" }),
      /'sub' is 'anonymous': the name is reserved/,
    );
  },
);

eachTransport(
  "anonymous: an auth frame naming 'anonymous' does not turn an anonymous connection into a user",
  async (t) => {
    await using h = await startTestHub(t, { anonymous: true, acl: { rules: [PUBLIC_READ] } });
    const [anon] = await connectWelcomed(h.url, { protocols: ["realtime.v1"] });
    // Before: taken as a refresh of the same subject, it got the token's capabilities while
    // staying outside the user index (no revocation, no per-user limit).
    const token = await anonymousToken({ "chat:*": ["subscribe"] });
    const reply = await anon.request({ type: "auth", id: 1, token });
    assert.deepEqual([reply.type, reply.code], ["error", "AUTH_FAILED"]);
    const closed = await withTimeout(anon.closed, 3000, "close");
    assert.equal(closed.code, 4001);
    assert.equal(h.hub.subscriberCount("chat:lobby"), 0);
    assert.ok(h.logs.some((e) => e.event === "auth.failed" && e.reason === "anonymous_connection"));
  },
);

eachTransport("anonymous: updateRules re-checks anonymous subscriptions", async (t) => {
  await using h = await startTestHub(t, { anonymous: true, acl: { rules: [PUBLIC_READ] } });
  const [anon] = await connectWelcomed(h.url, { protocols: ["realtime.v1"] });
  assert.equal(
    (await anon.request({ type: "subscribe", id: 1, topic: "public:news" })).type,
    "ack",
  );
  await h.hub.updateRules([{ ...PUBLIC_READ, topics: ["public:sports"] }]);
  assert.deepEqual(await anon.next((f) => f.type === "unsubscribed"), {
    type: "unsubscribed",
    topic: "public:news",
    code: "FORBIDDEN",
  });
  assert.equal(h.hub.subscriberCount("public:news"), 0);
  await anon.close();
});

eachTransport(
  "anonymous: an auth frame on an anonymous connection closes it (reconnect with the token)",
  async (t) => {
    await using h = await startTestHub(t, { anonymous: true, acl: { rules: [PUBLIC_READ] } });
    const [anon] = await connectWelcomed(h.url, { protocols: ["realtime.v1"] });
    anon.send({ type: "auth", id: 1, token: await h.token({ sub: "alice" }) });
    const closed = await withTimeout(anon.closed, 3000, "close");
    assert.equal(closed.code, 4001);
  },
);

eachTransport("anonymous: per-IP connection limits still apply", async (t) => {
  await using h = await startTestHub(t, {
    anonymous: true,
    acl: { rules: [PUBLIC_READ] },
    limits: { connectBurstPerIp: 2, connectRatePerIp: 1 },
  });
  const sockets = [];
  for (let i = 0; i < 2; i++) sockets.push((await connectWelcomed(h.url))[0]);
  const third = new TestSocket(h.url);
  await assert.rejects(withTimeout(third.opened, 3000, "open"));
  assert.equal(h.hub.metrics.rateLimitHits.get("connect_rate"), 1);
  for (const socket of sockets) await socket.close();
});

Deno.test("compileAcl never grants the anonymous principal token capabilities", () => {
  const acl = compileAcl({ rules: [PUBLIC_READ, MEMBERS] });
  // Even if an authenticate hook put a capability claim on it.
  const forged = { ...ANONYMOUS_PRINCIPAL, claims: { acl: { "chat:*": ["subscribe"] } } };
  for (const principal of [ANONYMOUS_PRINCIPAL, forged]) {
    assert.equal(acl.decide(principal, "subscribe", "chat:lobby").allowed, false);
    assert.equal(acl.decide(principal, "publish", "public:news").allowed, false);
    assert.equal(acl.decide(principal, "subscribe", "public:news").allowed, true);
  }
  const user = {
    sub: "bob",
    roles: [],
    claims: { acl: { "chat:*": ["subscribe"] } },
    expiresAt: null,
  };
  assert.equal(acl.decide(user, "subscribe", "chat:lobby").allowed, true);
});

Deno.test("compileAcl refuses a when.anonymous that is not a boolean", () => {
  assert.throws(
    () => compileAcl({ rules: [{ ...PUBLIC_READ, when: { anonymous: "yes" as never } }] }),
    /when.anonymous must be a boolean, got string/,
  );
});
