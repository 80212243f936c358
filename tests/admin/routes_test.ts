// Every admin route over real HTTP and WebSockets: success, and bad input that changes nothing.

import assert from "node:assert/strict";
import type { TestSocket } from "../_support/client.ts";
import { TestSocket as Socket, withTimeout } from "../_support/client.ts";
import { type AdminFixture, alone, call, startAdmin } from "./_helpers.ts";

const P = "/v1/realtime";

/** Asserts a 4xx `BAD_REQUEST` JSON answer. */
function assertBad(
  res: { status: number; json: { code?: string; message?: unknown } },
  status = 400,
) {
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.equal(res.json.code, "BAD_REQUEST");
  assert.equal(typeof res.json.message, "string");
}

/**
 * Proves no message reached `socket` before now: a sentinel sent with the key
 * must be the next message it receives.
 */
async function assertNothingDelivered(f: AdminFixture, user: string, socket: TestSocket) {
  const res = await call(f.base, "POST", `${P}/send/${user}`, {
    body: { event: "sentinel", payload: null },
  });
  assert.equal(res.status, 200);
  const next = await socket.next((m) => m.type === "message");
  assert.equal(next.event, "sentinel", `unexpected delivery: ${JSON.stringify(next)}`);
}

Deno.test("POST /broadcast publishes to a topic and to listed users", async () => {
  await using f = await startAdmin();
  const alice = await f.open("alice");
  const bob = await f.open("bob");
  await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  const res = await call(f.base, "POST", `${P}/broadcast`, {
    body: { event: "news", topic: "chat:lobby", payload: { n: 1 }, users: ["bob"] },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(alone(res.json), { reached: 1 });
  const a = await alice.next((m) => m.type === "message");
  assert.deepEqual([a.topic, a.event, a.payload, a.from], ["chat:lobby", "news", { n: 1 }, null]);
  const b = await bob.next((m) => m.type === "message");
  assert.deepEqual([b.topic, b.event, b.payload], [null, "news", { n: 1 }]);

  const all = await call(f.base, "POST", `${P}/broadcast`, { body: { payload: "everyone" } });
  assert.deepEqual(alone(all.json), { reached: 2 });
  for (const s of [alice, bob]) {
    assert.equal((await s.next((m) => m.type === "message")).payload, "everyone");
  }
  assert.deepEqual(f.audit.map((e) => [e.event, e.reached]), [["admin.broadcast", 1], [
    "admin.broadcast",
    2,
  ]]);
});

Deno.test("POST /broadcast rejects bad input with 4xx and delivers nothing", async () => {
  await using f = await startAdmin();
  const alice = await f.open("alice");
  await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  const url = `${P}/broadcast`;
  const bad: [number, Parameters<typeof call>[3]][] = [
    [400, { body: "{not json" }],
    [400, { body: "[1,2]" }],
    [400, { body: "null" }],
    [400, { body: "" }],
    [400, { body: { topic: "chat:lobby" } }], // no payload
    [400, { body: { payload: 1, topic: "chat:*" } }], // pattern, not a topic
    [400, { body: { payload: 1, topic: "chat::lobby" } }],
    [400, { body: { payload: 1, topic: 7 } }],
    [400, { body: { payload: 1, event: 7 } }],
    [400, { body: { payload: 1, event: "" } }],
    [400, { body: { payload: 1, users: "alice" } }],
    [400, { body: { payload: 1, users: ["alice", 3] } }],
    [400, { body: { payload: 1, users: ["x".repeat(257)] } }],
    [415, { body: { payload: 1 }, headers: { "content-type": "text/plain" } }],
    [413, { body: JSON.stringify({ payload: "x".repeat(70_000) }) }],
  ];
  for (const [status, options] of bad) {
    assertBad(await call(f.base, "POST", url, options), status);
  }
  const noType = await fetch(f.base + url, {
    method: "POST",
    headers: { authorization: `Bearer admin-key-for-tests-0123456789abcdef` },
    body: new Blob([JSON.stringify({ payload: 1 })]),
  });
  assertBad({ status: noType.status, json: await noType.json() }, 415);
  // A chunked body (no content-length) over 64 KiB is cut off too.
  const big = new TextEncoder().encode(JSON.stringify({ payload: "y".repeat(80_000) }));
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < big.length; i += 8192) c.enqueue(big.slice(i, i + 8192));
      c.close();
    },
  });
  const chunked = await fetch(f.base + url, {
    method: "POST",
    headers: {
      authorization: `Bearer admin-key-for-tests-0123456789abcdef`,
      "content-type": "application/json",
    },
    body: stream,
  });
  assertBad({ status: chunked.status, json: await chunked.json() }, 413);
  await assertNothingDelivered(f, "alice", alice);
  assert.equal(f.audit.filter((e) => e.event === "admin.broadcast").length, 0);
  assert.ok(
    f.audit.filter((e) => e.event === "admin.rejected").every((e) => e.action === "broadcast"),
  );
});

Deno.test("POST /broadcast rejects a body nested deeper than the hub's maxDepth", async () => {
  // The body object is level 1, as a frame is: with maxDepth 3 a payload may nest once.
  await using f = await startAdmin({}, { limits: { maxDepth: 3 } });
  const alice = await f.open("alice");
  assertBad(
    await call(f.base, "POST", `${P}/broadcast`, { body: { payload: { a: { b: { c: 1 } } } } }),
  );
  assertBad(
    await call(f.base, "POST", `${P}/send/alice`, {
      body: { event: "e", payload: [[[1]]] },
    }),
  );
  const ok = await call(f.base, "POST", `${P}/broadcast`, { body: { payload: { a: 1 } } });
  assert.deepEqual(alone(ok.json), { reached: 1 });
  assert.deepEqual((await alice.next((m) => m.type === "message")).payload, { a: 1 });
});

Deno.test("POST /send/:userId reaches every connection of the user, decoding the id", async () => {
  await using f = await startAdmin();
  const one = await f.open("team/a b");
  const two = await f.open("team/a b");
  const res = await call(f.base, "POST", `${P}/send/${encodeURIComponent("team/a b")}`, {
    body: { event: "credit", payload: { credits: 5 } },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(alone(res.json), { user: "team/a b", reached: 2 });
  for (const s of [one, two]) {
    const m = await s.next((x) => x.type === "message");
    assert.deepEqual([m.event, m.payload, m.topic], ["credit", { credits: 5 }, null]);
  }
  const nobody = await call(f.base, "POST", `${P}/send/nobody`, {
    body: { event: "e", payload: 1 },
  });
  assert.deepEqual(alone(nobody.json), { user: "nobody", reached: 0 });
});

Deno.test("POST /send/:userId rejects bad input and delivers nothing", async () => {
  await using f = await startAdmin();
  const alice = await f.open("alice");
  assertBad(await call(f.base, "POST", `${P}/send/alice`, { body: { payload: 1 } })); // no event
  assertBad(await call(f.base, "POST", `${P}/send/alice`, { body: { event: "e" } })); // no payload
  assertBad(await call(f.base, "POST", `${P}/send/alice`, { body: { event: ["e"], payload: 1 } }));
  assertBad(
    await call(f.base, "POST", `${P}/send/${"a".repeat(257)}`, {
      body: { event: "e", payload: 1 },
    }),
  );
  assertBad(await call(f.base, "POST", `${P}/send/%E0%A4%A`, { body: { event: "e", payload: 1 } }));
  assertBad(await call(f.base, "GET", `${P}/send/alice`), 405);
  await assertNothingDelivered(f, "alice", alice);
});

Deno.test("GET /stats answers the hub's stats", async () => {
  await using f = await startAdmin();
  const alice = await f.open("alice");
  await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  const res = await call(f.base, "GET", `${P}/stats`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.deepEqual(
    [res.json.connections, res.json.users, res.json.topics, res.json.subscriptions],
    [1, 1, 1, 1],
  );
  for (const key of ["messagesInPerSecond", "messagesOutPerSecond", "uptimeSeconds"]) {
    assert.equal(typeof res.json[key], "number");
  }
});

Deno.test("GET /stats refuses other methods with 405 and Allow", async () => {
  await using f = await startAdmin();
  const res = await call(f.base, "POST", `${P}/stats`, { body: {} });
  assertBad(res, 405);
  assert.equal(res.headers.get("allow"), "GET");
  assert.equal(f.audit.at(-1)?.event, "admin.rejected");
});

Deno.test("GET /users/:userId/status reports connections and since", async () => {
  await using f = await startAdmin();
  const before = Date.now();
  await f.open("al ice");
  await f.open("al ice");
  const res = await call(f.base, "GET", `${P}/users/al%20ice/status`);
  assert.equal(res.status, 200);
  assert.equal(res.json.user, "al ice");
  assert.equal(res.json.connected, true);
  assert.equal(res.json.connections, 2);
  assert.ok(res.json.since >= before - 1000 && res.json.since <= Date.now());
  const absent = await call(f.base, "GET", `${P}/users/bob/status`);
  assert.deepEqual(alone(absent.json), {
    user: "bob",
    connected: false,
    connections: 0,
    since: null,
  });
});

Deno.test("GET /users/:userId/status rejects a user id outside 1 to 256 characters", async () => {
  await using f = await startAdmin();
  assertBad(await call(f.base, "GET", `${P}/users/${"u".repeat(257)}/status`));
  assert.equal((await call(f.base, "GET", `${P}/users/${"u".repeat(256)}/status`)).status, 200);
  assertBad(await call(f.base, "GET", `${P}/users//status`), 404);
});

Deno.test("DELETE /users/:userId/connections closes them with 4003", async () => {
  await using f = await startAdmin();
  const alice = await f.open("alice");
  const bob = await f.open("bob");
  const res = await call(f.base, "DELETE", `${P}/users/alice/connections`);
  assert.deepEqual(alone(res.json), { user: "alice", disconnected: 1 });
  assert.equal((await withTimeout(alice.closed, 3000, "close")).code, 4003);
  assert.equal(f.h.hub.isUserConnected("alice"), false);
  assert.equal(f.h.hub.isUserConnected("bob"), true);
  assert.equal((await bob.request({ type: "ping", id: 1 })).type, "pong");
  const entry = f.audit.find((e) => e.event === "admin.disconnect");
  assert.deepEqual([entry?.user, entry?.connections, entry?.actor], ["alice", 1, "api_key"]);
});

Deno.test("DELETE /users/:userId/connections rejects bad ids and disconnects no one", async () => {
  await using f = await startAdmin();
  const alice = await f.open("alice");
  assertBad(await call(f.base, "DELETE", `${P}/users/${"a".repeat(300)}/connections`));
  assertBad(await call(f.base, "DELETE", `${P}/users/%zz/connections`));
  assertBad(await call(f.base, "DELETE", `${P}/users/alice/status`), 405);
  const wrong = await call(f.base, "PUT", `${P}/users/alice/connections`, { body: {} });
  assertBad(wrong, 405);
  assert.equal(wrong.headers.get("allow"), "DELETE");
  assert.equal(f.h.hub.isUserConnected("alice"), true);
  assert.equal((await alice.request({ type: "ping", id: 1 })).type, "pong");
});

Deno.test("GET /topics/:topic counts subscribers of a topic or pattern", async () => {
  await using f = await startAdmin();
  const alice = await f.open("alice");
  const bob = await f.open("bob");
  await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  await bob.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  await bob.request({ type: "subscribe", id: 2, topic: "chat:*" });
  assert.deepEqual(alone((await call(f.base, "GET", `${P}/topics/chat:lobby`)).json), {
    topic: "chat:lobby",
    subscribers: 2,
  });
  assert.deepEqual(alone((await call(f.base, "GET", `${P}/topics/chat%3A*`)).json), {
    topic: "chat:*",
    subscribers: 1,
  });
  assert.deepEqual(alone((await call(f.base, "GET", `${P}/topics/chat:empty`)).json), {
    topic: "chat:empty",
    subscribers: 0,
  });
});

Deno.test("GET /topics/:topic rejects an invalid topic with validatePattern's message", async () => {
  await using f = await startAdmin();
  const res = await call(f.base, "GET", `${P}/topics/ch*`);
  assertBad(res);
  assert.match(res.json.message, /^Invalid pattern 'ch\*'/);
  assertBad(await call(f.base, "GET", `${P}/topics/chat::lobby`));
  assertBad(await call(f.base, "GET", `${P}/topics/${"a:".repeat(17)}a`));
  assertBad(await call(f.base, "GET", `${P}/topics/chat/lobby`), 404);
});

Deno.test("POST /revoke disconnects the user with 4003 and rejects their old tokens", async () => {
  await using f = await startAdmin();
  const token = await f.h.token({ sub: "alice" });
  const alice = new Socket(f.h.url, { protocols: ["auth", token] });
  await alice.next((m) => m.type === "welcome");
  const res = await call(f.base, "POST", `${P}/revoke`, { body: { user: "alice" } });
  assert.deepEqual(alone(res.json), { user: "alice", disconnected: 1 });
  assert.equal((await withTimeout(alice.closed, 3000, "close")).code, 4003);
  const again = new Socket(f.h.url, { protocols: ["auth", token] });
  await assert.rejects(again.opened);
  assert.equal(f.audit.at(-1)?.event, "admin.revoke");
});

Deno.test("POST /revoke rejects bad input and revokes no one", async () => {
  await using f = await startAdmin();
  const alice = await f.open("alice");
  assertBad(await call(f.base, "POST", `${P}/revoke`, { body: {} }));
  assertBad(await call(f.base, "POST", `${P}/revoke`, { body: { user: 5 } }));
  assertBad(await call(f.base, "POST", `${P}/revoke`, { body: { user: "" } }));
  assertBad(await call(f.base, "POST", `${P}/revoke`, { body: "user=alice" }));
  assertBad(
    await call(f.base, "POST", `${P}/revoke`, {
      body: { user: "alice" },
      headers: { "content-type": "application/x-www-form-urlencoded" },
    }),
    415,
  );
  assert.equal(f.h.hub.isUserConnected("alice"), true);
  // Her token still opens a new connection: no revocation was recorded.
  const second = await f.open("alice");
  assert.equal((await second.request({ type: "ping", id: 1 })).type, "pong");
  assert.equal((await alice.request({ type: "ping", id: 1 })).type, "pong");
});

Deno.test("PUT /rules replaces the rules and ends subscriptions no longer allowed", async () => {
  await using f = await startAdmin({}, {
    acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["news:*", "sport:*"] }] },
  });
  const alice = await f.open("alice", {});
  await alice.request({ type: "subscribe", id: 1, topic: "news:today" });
  await alice.request({ type: "subscribe", id: 2, topic: "sport:*" });
  const res = await call(f.base, "PUT", `${P}/rules`, {
    body: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["sport:**"] }] },
  });
  assert.deepEqual([res.status, res.json], [200, { rules: 1 }]);
  assert.deepEqual(await alice.next((m) => m.type === "unsubscribed"), {
    type: "unsubscribed",
    topic: "news:today",
    code: "FORBIDDEN",
  });
  assert.equal(f.h.hub.subscriptionCount, 1);
  assert.equal(f.audit.at(-1)?.event, "admin.rules_update");
});

Deno.test("PUT /rules answers 400 with compileAcl's message and changes nothing", async () => {
  await using f = await startAdmin({}, {
    acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["news:*"] }] },
  });
  const alice = await f.open("alice", {});
  await alice.request({ type: "subscribe", id: 1, topic: "news:today" });
  const bad = await call(f.base, "PUT", `${P}/rules`, {
    body: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["bad topic"] }] },
  });
  assertBad(bad);
  assert.match(bad.json.message, /bad topic/);
  assertBad(await call(f.base, "PUT", `${P}/rules`, { body: { rules: { effect: "allow" } } }));
  assertBad(await call(f.base, "PUT", `${P}/rules`, { body: {} }));
  assertBad(await call(f.base, "PUT", `${P}/rules`, { body: { rules: [{ effect: "maybe" }] } }));
  assertBad(await call(f.base, "POST", `${P}/rules`, { body: { rules: [] } }), 405);
  assert.equal(f.h.hub.subscriptionCount, 1);
  // The old rules are still in force: news:* may still be subscribed.
  assert.equal(
    (await alice.request({ type: "subscribe", id: 2, topic: "news:other" })).type,
    "ack",
  );
  assert.equal(f.audit.filter((e) => e.event === "admin.rules_update").length, 0);
});

Deno.test("createAdminHandler answers 404 for unknown routes under the prefix", async () => {
  await using f = await startAdmin();
  for (const path of [P, `${P}/`, `${P}/nope`, `${P}/stats/extra`, `${P}/users/alice`]) {
    const res = await call(f.base, "GET", path);
    assertBad(res, 404);
  }
});
