// Publish/subscribe and authorization over real sockets, on both transports.

import assert from "node:assert/strict";
import { connectWelcomed, type TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import type { MintClaims } from "../../src/auth/mint.ts";

async function open(h: TestHub, claims: MintClaims): Promise<TestSocket> {
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["realtime.v1", "auth", await h.token(claims)],
  });
  return socket;
}

const CHAT = { "chat:*": ["subscribe", "publish"] };

eachTransport("publish reaches every subscriber with topic, payload, from and ts", async (t) => {
  await using h = await startTestHub(t);
  const alice = await open(h, { sub: "alice", acl: CHAT });
  const bob = await open(h, { sub: "bob", acl: CHAT });
  assert.deepEqual(await bob.request({ type: "subscribe", id: 1, topic: "chat:lobby" }), {
    type: "ack",
    id: 1,
  });
  assert.deepEqual(await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" }), {
    type: "ack",
    id: 1,
  });
  const ack = await alice.request({
    type: "publish",
    id: "p1",
    topic: "chat:lobby",
    payload: { text: "hi" },
  });
  assert.deepEqual(ack, { type: "ack", id: "p1" });
  for (const socket of [alice, bob]) {
    const message = await socket.next((f) => f.type === "message");
    assert.equal(message.topic, "chat:lobby");
    assert.deepEqual(message.payload, { text: "hi" });
    assert.equal(message.from, "alice");
    assert.equal(typeof message.ts, "number");
  }
  await alice.close();
  await bob.close();
});

eachTransport(
  "a pattern subscription receives the concrete topic, once per publication",
  async (t) => {
    await using h = await startTestHub(t);
    const alice = await open(h, { sub: "alice", acl: CHAT });
    const bob = await open(h, { sub: "bob", acl: { "chat:**": ["subscribe"] } });
    await bob.request({ type: "subscribe", id: 1, topic: "chat:**" });
    await bob.request({ type: "subscribe", id: 2, topic: "chat:room1" });
    await alice.request({ type: "publish", id: 1, topic: "chat:room1", payload: 1 });
    await alice.request({ type: "publish", id: 2, topic: "chat:room2", payload: 2 });
    const first = await bob.next((f) => f.type === "message");
    const second = await bob.next((f) => f.type === "message");
    assert.deepEqual([first.topic, first.payload, second.topic, second.payload], [
      "chat:room1",
      1,
      "chat:room2",
      2,
    ]);
    await bob.request({ type: "ping", id: "sync" });
    assert.equal(bob.pending.filter((f) => f.type === "message").length, 0, "duplicate delivery");
    await alice.close();
    await bob.close();
  },
);

eachTransport("unsubscribe stops delivery", async (t) => {
  await using h = await startTestHub(t);
  const alice = await open(h, { sub: "alice", acl: CHAT });
  await alice.request({ type: "subscribe", id: 1, topic: "chat:a" });
  assert.deepEqual(await alice.request({ type: "unsubscribe", id: 2, topic: "chat:a" }), {
    type: "ack",
    id: 2,
  });
  await alice.request({ type: "publish", id: 3, topic: "chat:a", payload: "x" });
  await alice.request({ type: "ping", id: 4 });
  assert.equal(alice.pending.filter((f) => f.type === "message").length, 0);
  assert.equal(h.hub.subscriptionCount, 0);
  await alice.close();
});

eachTransport("a forbidden subscribe or publish gets FORBIDDEN and changes nothing", async (t) => {
  await using h = await startTestHub(t);
  const alice = await open(h, { sub: "alice", acl: { "chat:*": ["subscribe"] } });
  const sub = await alice.request({ type: "subscribe", id: 1, topic: "admin:logs" });
  assert.deepEqual(sub, {
    type: "error",
    id: 1,
    code: "FORBIDDEN",
    message: "Not allowed to subscribe to 'admin:logs'",
    retry: false,
  });
  const pub = await alice.request({ type: "publish", id: 2, topic: "chat:lobby", payload: 1 });
  assert.equal(pub.code, "FORBIDDEN");
  assert.equal(h.hub.subscriptionCount, 0);
  assert.ok(h.logs.some((e) => e.event === "acl.denied" && e.topic === "admin:logs"));
  await alice.close();
});

eachTransport("a refusal says what was refused in words, for every action", async (t) => {
  await using h = await startTestHub(t, {
    history: [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }],
  });
  const alice = await open(h, { sub: "alice", acl: { "news:*": ["subscribe"] } });
  const table: [Record<string, unknown>, string][] = [
    [{ type: "subscribe", topic: "chat:a" }, "Not allowed to subscribe to 'chat:a'"],
    [{ type: "publish", topic: "chat:a", payload: 1 }, "Not allowed to publish to 'chat:a'"],
    [{ type: "history", topic: "chat:a" }, "Not allowed to read the history of 'chat:a'"],
    [{ type: "presence", topic: "chat:a" }, "Not allowed to read the presence of 'chat:a'"],
    [{ type: "presence_stats", topic: "chat:a" }, "Not allowed to read the presence of 'chat:a'"],
  ];
  let id = 0;
  for (const [frame, message] of table) {
    const reply = await alice.request({ ...frame, id: ++id });
    assert.deepEqual([reply.code, reply.message], ["FORBIDDEN", message], String(frame.type));
  }
  await alice.close();
});

eachTransport("a wildcard subscription needs every matched topic allowed", async (t) => {
  await using h = await startTestHub(t);
  const alice = await open(h, { sub: "alice", acl: { "chat:public:*": ["subscribe"] } });
  assert.equal(
    (await alice.request({ type: "subscribe", id: 1, topic: "chat:public:*" })).type,
    "ack",
  );
  assert.equal(
    (await alice.request({ type: "subscribe", id: 2, topic: "chat:*:general" })).code,
    "FORBIDDEN",
  );
  assert.equal(
    (await alice.request({ type: "subscribe", id: 3, topic: "chat:**" })).code,
    "FORBIDDEN",
  );
  assert.equal((await alice.request({ type: "subscribe", id: 4, topic: "**" })).code, "FORBIDDEN");
  await alice.close();
});

eachTransport("deny rules override token capabilities and allow rules", async (t) => {
  await using h = await startTestHub(t, {
    acl: {
      rules: [
        { effect: "allow", actions: ["subscribe"], topics: ["news:*"] },
        { effect: "deny", actions: "*", topics: ["news:secret"], id: "no-secret" },
      ],
    },
  });
  const alice = await open(h, { sub: "alice", acl: { "news:secret": ["subscribe"] } });
  assert.equal(
    (await alice.request({ type: "subscribe", id: 1, topic: "news:daily" })).type,
    "ack",
  );
  assert.equal(
    (await alice.request({ type: "subscribe", id: 2, topic: "news:secret" })).code,
    "FORBIDDEN",
  );
  assert.equal(
    (await alice.request({ type: "subscribe", id: 3, topic: "news:*" })).code,
    "FORBIDDEN",
  );
  await alice.close();
});

eachTransport("templated rules expand the verified subject and claims", async (t) => {
  await using h = await startTestHub(t, {
    acl: {
      rules: [
        { effect: "allow", actions: ["subscribe", "publish"], topics: ["user:{sub}"] },
        { effect: "allow", actions: ["subscribe"], topics: ["org:{claims.org}:**"] },
      ],
    },
  });
  const alice = await open(h, { sub: "alice", org: "acme" });
  assert.equal(
    (await alice.request({ type: "subscribe", id: 1, topic: "user:alice" })).type,
    "ack",
  );
  assert.equal(
    (await alice.request({ type: "subscribe", id: 2, topic: "user:bob" })).code,
    "FORBIDDEN",
  );
  assert.equal(
    (await alice.request({ type: "subscribe", id: 3, topic: "org:acme:eng:alerts" })).type,
    "ack",
  );
  assert.equal(
    (await alice.request({ type: "subscribe", id: 4, topic: "org:globex:eng" })).code,
    "FORBIDDEN",
  );
  await alice.close();
  // A subject that is not a single segment never matches a template.
  const mallory = await open(h, { sub: "a:*" });
  assert.equal(
    (await mallory.request({ type: "subscribe", id: 1, topic: "user:a:*" })).code,
    "FORBIDDEN",
  );
  await mallory.close();
});

eachTransport("roles from the token satisfy rule conditions", async (t) => {
  await using h = await startTestHub(t, {
    acl: {
      rules: [{
        effect: "allow",
        actions: ["subscribe"],
        topics: ["ops:**"],
        when: { roles: ["admin"] },
      }],
    },
  });
  const admin = await open(h, { sub: "root", roles: ["admin"] });
  const user = await open(h, { sub: "joe", roles: ["member"] });
  assert.equal(
    (await admin.request({ type: "subscribe", id: 1, topic: "ops:metrics" })).type,
    "ack",
  );
  assert.equal(
    (await user.request({ type: "subscribe", id: 1, topic: "ops:metrics" })).code,
    "FORBIDDEN",
  );
  await admin.close();
  await user.close();
});

eachTransport(
  "the authorize hook decides what rules leave open, and deny rules skip it",
  async (t) => {
    const calls: string[] = [];
    await using h = await startTestHub(t, {
      acl: { rules: [{ effect: "deny", actions: "*", topics: ["blocked:*"] }] },
      authorize: async (principal, action, topic) => {
        calls.push(`${principal.sub} ${action} ${topic}`);
        await Promise.resolve();
        if (topic === "db:allowed") return true;
        if (topic === "db:boom") throw new Error("database down");
        return topic === "db:denied" ? false : undefined;
      },
    });
    const alice = await open(h, { sub: "alice", acl: { "cap:*": ["subscribe"] } });
    assert.equal(
      (await alice.request({ type: "subscribe", id: 1, topic: "db:allowed" })).type,
      "ack",
    );
    assert.equal(
      (await alice.request({ type: "subscribe", id: 2, topic: "db:denied" })).code,
      "FORBIDDEN",
    );
    assert.equal((await alice.request({ type: "subscribe", id: 3, topic: "cap:x" })).type, "ack");
    assert.equal(
      (await alice.request({ type: "subscribe", id: 4, topic: "blocked:x" })).code,
      "FORBIDDEN",
    );
    const failed = await alice.request({ type: "subscribe", id: 5, topic: "db:boom" });
    assert.deepEqual([failed.code, failed.retry], ["INTERNAL", true]);
    // Cached: a second publish decision for the same topic does not call the hook again.
    await alice.request({ type: "unsubscribe", id: 6, topic: "db:allowed" });
    assert.equal(
      (await alice.request({ type: "subscribe", id: 7, topic: "db:allowed" })).type,
      "ack",
    );
    assert.deepEqual(calls, [
      "alice subscribe db:allowed",
      "alice subscribe db:denied",
      "alice subscribe cap:x",
      "alice subscribe db:boom",
    ]);
    await alice.close();
  },
);

eachTransport("frames are handled in order behind an asynchronous check", async (t) => {
  await using h = await startTestHub(t, {
    authorize: async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return true;
    },
  });
  const alice = await open(h, { sub: "alice" });
  await alice.request({ type: "subscribe", id: "s", topic: "seq:a" });
  for (let i = 0; i < 20; i++) alice.send({ type: "publish", id: i, topic: "seq:a", payload: i });
  const payloads: number[] = [];
  for (let i = 0; i < 20; i++) {
    payloads.push((await alice.next((f) => f.type === "message")).payload);
  }
  assert.deepEqual(payloads, [...Array(20).keys()]);
  await alice.close();
});

eachTransport(
  "server-side publish reaches subscribers with an event name and from null",
  async (t) => {
    await using h = await startTestHub(t);
    const alice = await open(h, { sub: "alice", acl: { "user:alice": ["subscribe"] } });
    await alice.request({ type: "subscribe", id: 1, topic: "user:alice" });
    await h.hub.publish("user:alice", { title: "New modpack" }, { event: "notification" });
    const message = await alice.next((f) => f.type === "message");
    assert.deepEqual([message.event, message.from, message.payload.title], [
      "notification",
      null,
      "New modpack",
    ]);
    await assert.rejects(h.hub.publish("bad topic", 1), TypeError);
    await alice.close();
  },
);

eachTransport(
  "maxSubscriptions bounds subscriptions per connection with RATE_LIMITED",
  async (t) => {
    await using h = await startTestHub(t, { limits: { maxSubscriptions: 2 } });
    const alice = await open(h, { sub: "alice", acl: CHAT });
    await alice.request({ type: "subscribe", id: 1, topic: "chat:a" });
    await alice.request({ type: "subscribe", id: 2, topic: "chat:b" });
    const third = await alice.request({ type: "subscribe", id: 3, topic: "chat:c" });
    assert.deepEqual([third.code, third.retry], ["RATE_LIMITED", true]);
    await alice.close();
  },
);

eachTransport("closing a connection releases its subscriptions", async (t) => {
  await using h = await startTestHub(t);
  const alice = await open(h, { sub: "alice", acl: CHAT });
  await alice.request({ type: "subscribe", id: 1, topic: "chat:a" });
  await alice.request({ type: "subscribe", id: 2, topic: "chat:*" });
  assert.equal(h.hub.subscriptionCount, 2);
  await alice.close();
  const deadline = Date.now() + 3000;
  while (h.hub.connectionCount > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual([h.hub.connectionCount, h.hub.subscriptionCount, h.hub.topicCount], [0, 0, 0]);
});

eachTransport("hub.close sends 1001 to every client", async (t) => {
  const h = await startTestHub(t);
  const alice = await open(h, { sub: "alice" });
  await h.hub.close();
  assert.equal((await alice.closed).code, 1001);
  await h.close();
});
