// The application's in-process handlers and RPC, over real sockets on both
// transports: answers and codes, time limits on an injected clock, thrown
// errors, abort on disconnect, bounded concurrency, publication order,
// moderation that reaches subscribers and history, server-side
// subscriptions.

import assert from "node:assert/strict";
import { connectWelcomed, type TestSocket, withTimeout } from "../_support/client.ts";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { HubError } from "../../src/protocol/errors.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import type { DisconnectNotice, RpcRequest } from "../../src/hub/handlers.ts";
import { RealtimeClient } from "../../src/client/mod.ts";

const ACL = { "chat:*": ["subscribe", "publish", "history"], "inbox:*": ["subscribe"] };

async function join(h: TestHub, sub = "alice"): Promise<TestSocket> {
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["realtime.v1", "auth", await h.token({ sub, acl: ACL } as never)],
  });
  return socket;
}

async function alive(socket: TestSocket): Promise<void> {
  assert.equal((await socket.request({ type: "ping", id: "alive" })).type, "pong");
}

/** A promise with its resolver, for handlers the test releases. */
function gate<T = void>() {
  return Promise.withResolvers<T>();
}

eachTransport(
  "rpc answers with the method's result; an unknown method gets BAD_REQUEST",
  async (t) => {
    await using h = await startTestHub(t);
    h.hub.rpc("echo", ({ principal, data, method, connection }) => ({
      user: principal.sub,
      method,
      data,
      connection: connection.id,
    }));
    const socket = await join(h);
    const reply = await socket.request({ type: "rpc", id: 1, method: "echo", data: { n: 1 } });
    assert.equal(reply.type, "rpc");
    assert.equal(reply.data.user, "alice");
    assert.equal(reply.data.method, "echo");
    assert.deepEqual(reply.data.data, { n: 1 });
    assert.equal(typeof reply.data.connection, "string");
    const unknown = await socket.request({ type: "rpc", id: 2, method: "nope" });
    assert.deepEqual([unknown.type, unknown.code, unknown.retry], ["error", "BAD_REQUEST", false]);
    const bad = await socket.request({ type: "rpc", id: 3, method: "has space" });
    assert.deepEqual([bad.type, bad.code], ["error", "BAD_REQUEST"]);
    assert.equal(h.hub.metrics.handlerCalls.get("rpc"), 1);
    await socket.close();
  },
);

eachTransport("RealtimeClient.rpc returns the result and throws the hub's code", async (t) => {
  await using h = await startTestHub(t);
  h.hub.rpc("sum", ({ data }) => (data as number[]).reduce((a, b) => a + b, 0));
  h.hub.rpc("deny", () => {
    throw new HubError("FORBIDDEN", "Cannot do that: not yours");
  });
  await using rt = new RealtimeClient({
    url: h.url,
    token: await h.token({ sub: "alice", acl: ACL } as never),
  });
  assert.equal(await rt.rpc("sum", [1, 2, 3]), 6);
  await assert.rejects(rt.rpc("deny"), (e: Error & { code?: string }) => e.code === "FORBIDDEN");
});

eachTransport(
  "a handler that throws gives INTERNAL with retry, logged, and the connection stays",
  async (t) => {
    await using h = await startTestHub(t);
    h.hub.rpc("broken", () => {
      throw new TypeError("boom in the application");
    });
    h.hub.rpc("refuse", () => Promise.reject(new HubError("FORBIDDEN", "Cannot: refused")));
    const socket = await join(h);
    const broken = await socket.request({ type: "rpc", id: 1, method: "broken" });
    assert.deepEqual([broken.code, broken.retry], ["INTERNAL", true]);
    assert.ok(!JSON.stringify(broken).includes("boom"));
    assert.ok(
      h.logs.some((e) => e.event === "handler.failed" && e.detail === "boom in the application"),
    );
    const refused = await socket.request({ type: "rpc", id: 2, method: "refuse" });
    assert.deepEqual([refused.code, refused.message, refused.retry], [
      "FORBIDDEN",
      "Cannot: refused",
      false,
    ]);
    await alive(socket);
    assert.equal(h.hub.metrics.handlerErrors.get("rpc"), 2);
    await socket.close();
  },
);

eachTransport("a handler past its time limit gives TIMEOUT and its signal aborts", async (t) => {
  const clock = new ManualClock();
  await using h = await startTestHub(t, { clock, handlerLimits: { timeoutMs: 1000 } });
  const called = gate<RpcRequest>();
  h.hub.rpc("slow", (request) => {
    called.resolve(request);
    return new Promise(() => {});
  });
  const socket = await join(h);
  socket.send({ type: "rpc", id: 1, method: "slow" });
  const request = await withTimeout(called.promise, 3000, "the handler");
  clock.advance(999);
  await alive(socket);
  assert.equal(request.signal.aborted, false);
  clock.advance(1);
  const reply = await socket.next((f) => f.id === 1);
  assert.deepEqual([reply.code, reply.retry], ["TIMEOUT", true]);
  assert.equal(request.signal.aborted, true);
  await alive(socket);
  await socket.close();
});

eachTransport(
  "a disconnect aborts running handlers and calls disconnect with the code",
  async (t) => {
    const notices: DisconnectNotice[] = [];
    const disconnected = gate();
    await using h = await startTestHub(t, {
      handlers: {
        disconnect(notice) {
          notices.push(notice);
          disconnected.resolve();
        },
      },
    });
    const called = gate<RpcRequest>();
    h.hub.rpc("wait", (request) => {
      called.resolve(request);
      return new Promise(() => {});
    });
    const socket = await join(h);
    socket.send({ type: "rpc", id: 1, method: "wait" });
    const request = await withTimeout(called.promise, 3000, "the handler");
    const aborted = new Promise((resolve) => request.signal.addEventListener("abort", resolve));
    await socket.close();
    await withTimeout(aborted, 3000, "the abort");
    await withTimeout(disconnected.promise, 3000, "disconnect");
    assert.equal(notices.length, 1);
    assert.equal(notices[0].principal.sub, "alice");
    assert.equal(notices[0].code, 1000);
  },
);

eachTransport("handler calls are bounded per connection and per hub", async (t) => {
  await using h = await startTestHub(t, {
    handlerLimits: { maxConcurrentPerConnection: 2, maxConcurrent: 2 },
  });
  const releases: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const started: string[] = [];
  h.hub.rpc("hold", ({ data }) => {
    started.push(String(data));
    most = Math.max(most, ++running);
    const { promise, resolve } = Promise.withResolvers<string>();
    releases.push(() => {
      running--;
      resolve(String(data));
    });
    return promise;
  });
  const alice = await join(h, "alice");
  const bob = await join(h, "bob");
  alice.send({ type: "rpc", id: 1, method: "hold", data: "a1" });
  alice.send({ type: "rpc", id: 2, method: "hold", data: "a2" });
  // Past the connection's bound: refused at once.
  const third = await alice.request({ type: "rpc", id: 3, method: "hold", data: "a3" });
  assert.deepEqual([third.code, third.retry], ["RATE_LIMITED", true]);
  // The hub's two places are taken: bob's call waits its turn.
  bob.send({ type: "rpc", id: 1, method: "hold", data: "b1" });
  await alive(bob);
  assert.deepEqual(started, ["a1", "a2"]);
  releases[0]();
  assert.equal((await alice.next((f) => f.id === 1)).data, "a1");
  assert.equal(
    await withTimeout(
      (async () => {
        while (started.length < 3) await alive(bob);
      })(),
      3000,
      "bob's call",
    ),
    undefined,
  );
  assert.deepEqual(started, ["a1", "a2", "b1"]);
  releases[1]();
  releases[2]();
  assert.equal((await bob.next((f) => f.id === 1)).data, "b1");
  assert.equal(most, 2);
  await alice.close();
  await bob.close();
});

eachTransport(
  "a publish handler replaces the payload for subscribers and history, and keeps the order",
  async (t) => {
    let calls = 0;
    await using h = await startTestHub(t, {
      history: [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }],
      handlers: {
        async publish({ payload, principal }) {
          // The first publication takes the application longer than the second.
          if (calls++ === 0) await new Promise((resolve) => setTimeout(resolve, 100));
          return {
            payload: {
              text: String((payload as { text: string }).text).toUpperCase(),
              by: principal.sub,
            },
          };
        },
      },
    });
    const bob = await join(h, "bob");
    assert.equal((await bob.request({ type: "subscribe", id: 1, topic: "chat:a" })).type, "ack");
    const alice = await join(h, "alice");
    alice.send({ type: "publish", id: 1, topic: "chat:a", payload: { text: "first" } });
    alice.send({ type: "publish", id: 2, topic: "chat:a", payload: { text: "second" } });
    const first = await bob.next((f) => f.type === "message");
    const second = await bob.next((f) => f.type === "message");
    assert.deepEqual([first.payload, second.payload], [
      { text: "FIRST", by: "alice" },
      { text: "SECOND", by: "alice" },
    ]);
    const history = await alice.request({ type: "history", id: 3, topic: "chat:a" });
    assert.deepEqual(history.publications.map((p: { payload: unknown }) => p.payload), [
      { text: "FIRST", by: "alice" },
      { text: "SECOND", by: "alice" },
    ]);
    await alice.close();
    await bob.close();
  },
);

eachTransport(
  "a publish handler answering synchronously keeps the order behind one answering later",
  async (t) => {
    const slow = gate<{ payload: unknown }>();
    const asked: string[] = [];
    await using h = await startTestHub(t, {
      history: [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }],
      handlers: {
        // Not async: only the first answer is a promise; the others are plain values.
        publish({ payload }) {
          const text = (payload as { text: string }).text;
          asked.push(text);
          if (text === "first") return slow.promise;
          return { payload: { text: text.toUpperCase() } };
        },
      },
    });
    const bob = await join(h, "bob");
    assert.equal((await bob.request({ type: "subscribe", id: 1, topic: "chat:a" })).type, "ack");
    const alice = await join(h, "alice");
    for (const text of ["first", "second", "third"]) {
      alice.send({ type: "publish", topic: "chat:a", payload: { text } });
    }
    await withTimeout(
      (async () => {
        while (asked.length === 0) await alive(bob);
      })(),
      3000,
      "the first call",
    );
    // The later publications wait behind the first answer.
    assert.deepEqual(asked, ["first"]);
    slow.resolve({ payload: { text: "FIRST" } });
    const texts = [];
    for (let i = 0; i < 3; i++) {
      texts.push((await bob.next((f) => f.type === "message")).payload.text);
    }
    assert.deepEqual(texts, ["FIRST", "SECOND", "THIRD"]);
    const history = await alice.request({ type: "history", id: 3, topic: "chat:a" });
    assert.deepEqual(
      history.publications.map((p: { payload: { text: string } }) => p.payload.text),
      ["FIRST", "SECOND", "THIRD"],
    );
    assert.equal(h.hub.metrics.handlerCalls.get("publish"), 3);
    await alice.close();
    await bob.close();
  },
);

eachTransport(
  "a signal first read after the connection closed is already aborted",
  async (t) => {
    const disconnected = gate();
    await using h = await startTestHub(t, {
      handlers: { disconnect: () => disconnected.resolve() },
    });
    const called = gate<RpcRequest>();
    h.hub.rpc("wait", (request) => {
      called.resolve(request);
      return new Promise(() => {});
    });
    const socket = await join(h);
    socket.send({ type: "rpc", id: 1, method: "wait" });
    const request = await withTimeout(called.promise, 3000, "the handler");
    await socket.close();
    await withTimeout(disconnected.promise, 3000, "disconnect");
    assert.equal(request.signal.aborted, true);
  },
);

eachTransport(
  "a refused publication gets its code, is not delivered, and the connection stays",
  async (t) => {
    await using h = await startTestHub(t, {
      handlers: {
        publish({ payload }) {
          if (payload === "spam") throw new HubError("FORBIDDEN", "Cannot publish spam");
        },
      },
    });
    const bob = await join(h, "bob");
    await bob.request({ type: "subscribe", id: 1, topic: "chat:a" });
    const alice = await join(h, "alice");
    const refused = await alice.request({
      type: "publish",
      id: 1,
      topic: "chat:a",
      payload: "spam",
    });
    assert.deepEqual([refused.type, refused.code, refused.message], [
      "error",
      "FORBIDDEN",
      "Cannot publish spam",
    ]);
    assert.equal(
      (await alice.request({ type: "publish", id: 2, topic: "chat:a", payload: "ham" })).type,
      "ack",
    );
    assert.equal((await bob.next((f) => f.type === "message")).payload, "ham");
    assert.equal(bob.pending.filter((f) => f.type === "message").length, 0);
    await alice.close();
    await bob.close();
  },
);

eachTransport(
  "a connect handler refuses with a code, or admits with server-side subscriptions",
  async (t) => {
    await using h = await startTestHub(t, {
      handlers: {
        connect({ principal }) {
          if (principal.sub === "mallory") {
            throw new HubError("FORBIDDEN", "Cannot connect: banned");
          }
          return { subscriptions: [`inbox:${principal.sub}`] };
        },
      },
    });
    const mallory = new (await import("../_support/client.ts")).TestSocket(h.url, {
      protocols: ["realtime.v1", "auth", await h.token({ sub: "mallory", acl: ACL } as never)],
    });
    const refusal = await mallory.next((f) => f.type === "error");
    assert.deepEqual([refusal.code, refusal.message], ["FORBIDDEN", "Cannot connect: banned"]);
    assert.equal((await mallory.closed).code, 4001);
    assert.equal(mallory.pending.some((f) => f.type === "welcome"), false);

    const alice = await join(h, "alice");
    await alive(alice);
    await h.hub.publish("inbox:alice", { hello: "alice" });
    const got = await alice.next((f) => f.type === "message");
    assert.deepEqual([got.topic, got.payload], ["inbox:alice", { hello: "alice" }]);
    await alice.close();
  },
);

eachTransport("a subscribe handler refuses beyond the ACL", async (t) => {
  await using h = await startTestHub(t, {
    handlers: {
      subscribe({ topic }) {
        if (topic === "chat:secret") throw new HubError("FORBIDDEN", "Cannot join 'chat:secret'");
      },
    },
  });
  const alice = await join(h);
  const refused = await alice.request({ type: "subscribe", id: 1, topic: "chat:secret" });
  assert.deepEqual([refused.type, refused.code], ["error", "FORBIDDEN"]);
  assert.equal((await alice.request({ type: "subscribe", id: 2, topic: "chat:open" })).type, "ack");
  await h.hub.publish("chat:secret", 1);
  await h.hub.publish("chat:open", 2);
  assert.equal((await alice.next((f) => f.type === "message")).payload, 2);
  await alice.close();
});

Deno.test("createHub refuses handlers that are not functions and bad limits", async () => {
  await assert.rejects(
    startTestHub("deno", { handlers: { publish: 1 } } as unknown as Partial<HubOptions>),
    TypeError,
  );
  await assert.rejects(
    startTestHub("deno", { handlerLimits: { timeoutMs: 0 } }),
    RangeError,
  );
});

eachTransport(
  "a publish handler may refuse or pass a signed publication, never alter it",
  async (t) => {
    const { signPublication } = await import("../../src/signing/mod.ts");
    const { SECRET: SIGNING } = await import("../signing/_keys.ts");
    const seen: { signed: boolean; payload: unknown }[] = [];
    await using h = await startTestHub(t, {
      acl: {
        rules: [
          { effect: "allow", actions: ["subscribe"], topics: ["**"] },
          { effect: "allow", actions: ["publish"], topics: ["hs:*"], signed: { keys: SIGNING } },
        ],
      },
      handlers: {
        publish({ payload, signed }) {
          seen.push({ signed, payload });
          return payload === "alter" ? { payload: "altered" } : undefined;
        },
      },
    });
    const token = await h.token({ sub: "svc" });
    const [reader] = await connectWelcomed(h.url, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal((await reader.request({ type: "subscribe", id: 1, topic: "hs:a" })).type, "ack");
    const [writer] = await connectWelcomed(h.url, {
      headers: { authorization: `Bearer ${token}` },
    });
    const passed = await signPublication("hs:a", "as signed", SIGNING);
    assert.equal(
      (await writer.request({ type: "publish", id: 1, topic: "hs:a", jws: passed })).type,
      "ack",
    );
    const got = await reader.next((f) => f.type === "message");
    assert.deepEqual([got.payload, got.jws], ["as signed", passed]);
    const altered = await signPublication("hs:a", "alter", SIGNING);
    const refused = await writer.request({ type: "publish", id: 2, topic: "hs:a", jws: altered });
    assert.deepEqual([refused.type, refused.code], ["error", "FORBIDDEN"]);
    assert.deepEqual(seen, [{ signed: true, payload: "as signed" }, {
      signed: true,
      payload: "alter",
    }]);
    await alive(writer);
    assert.equal(reader.pending.filter((f) => f.type === "message").length, 0);
    await reader.close();
    await writer.close();
  },
);

eachTransport(
  "frames sent while a connect handler decides wait, in order, for its decision",
  async (t) => {
    await using h = await startTestHub(t, {
      handlers: {
        // A slow application: its frames arrive while it decides.
        connect: () => new Promise((resolve) => setTimeout(resolve, 100)),
      },
    });
    const { TestSocket } = await import("../_support/client.ts");
    const socket = new TestSocket(h.url, {
      protocols: ["realtime.v1", "auth", await h.token({ sub: "alice", acl: ACL } as never)],
    });
    await withTimeout(socket.opened, 3000, "open");
    socket.send({ type: "subscribe", id: "s", topic: "chat:a" });
    socket.send({ type: "ping", id: "p" });
    // Once the pong is here, what came before it arrived in order.
    assert.equal((await socket.next((f) => f.id === "p")).type, "pong");
    assert.deepEqual(socket.pending.map((f) => [f.id ?? null, f.type]), [
      [null, "welcome"],
      ["s", "ack"],
    ]);
    await socket.close();
  },
);

eachTransport(
  "a connect handler answering garbage gives INTERNAL, logged, and the hub stays up",
  async (t) => {
    await using h = await startTestHub(t, {
      handlers: { connect: () => ({ subscriptions: 5 }) as never },
    });
    const alice = await join(h);
    const error = await alice.next((f) => f.type === "error");
    assert.deepEqual([error.code, error.retry], ["INTERNAL", true]);
    assert.ok(h.logs.some((e) => e.event === "internal" && e.frame === "connect"));
    await alive(alice);
    await alice.close();
  },
);

eachTransport(
  "a subscribe handler's initial data comes in the ack, with or without history",
  async (t) => {
    await using h = await startTestHub(t, {
      history: [{ pattern: "chat:kept", size: 10, ttlMs: 60_000 }],
      handlers: {
        subscribe: ({ topic }) => topic === "chat:bare" ? undefined : { data: { topic } },
      },
    });
    const alice = await join(h);
    const plain = await alice.request({ type: "subscribe", id: 1, topic: "chat:plain" });
    assert.deepEqual(plain, { type: "ack", id: 1, data: { topic: "chat:plain" } });
    const kept = await alice.request({ type: "subscribe", id: 2, topic: "chat:kept" });
    assert.deepEqual([kept.type, kept.offset, kept.data], ["ack", 0, { topic: "chat:kept" }]);
    const bare = await alice.request({ type: "subscribe", id: 3, topic: "chat:bare" });
    assert.deepEqual(bare, { type: "ack", id: 3 });
    await alice.close();
  },
);

eachTransport(
  "hub.rpc with a prefix ending in '*' answers its methods; an exact name wins",
  async (t) => {
    await using h = await startTestHub(t);
    h.hub.rpc("orders.*", ({ method }) => `prefix:${method}`);
    h.hub.rpc("orders.special.*", ({ method }) => `longer:${method}`);
    h.hub.rpc("orders.get", () => "exact");
    assert.throws(() => h.hub.rpc("orders.*", () => null), /registered already/);
    assert.throws(() => h.hub.rpc("bad name*", () => null), TypeError);
    const socket = await join(h);
    const answers = [];
    for (
      const [i, method] of ["orders.list", "orders.get", "orders.special.x", "other"].entries()
    ) {
      const reply = await socket.request({ type: "rpc", id: i, method });
      answers.push(reply.type === "rpc" ? reply.data : reply.code);
    }
    assert.deepEqual(answers, [
      "prefix:orders.list",
      "exact",
      "longer:orders.special.x",
      "BAD_REQUEST",
    ]);
    await socket.close();
  },
);

eachTransport(
  "refresh extends a session's expiry, or leaves it to the client with token_expiring",
  async (t) => {
    const clock = new ManualClock();
    const answers: (number | undefined)[] = [];
    const asked: string[] = [];
    await using h = await startTestHub(t, {
      clock,
      authenticate: () =>
        Promise.resolve({ sub: "alice", roles: [], claims: {}, expiresAt: clock.now() + 10_000 }),
      handlers: {
        refresh({ principal }) {
          asked.push(principal.sub);
          const next = answers.shift();
          return next === undefined ? undefined : { expiresAt: next };
        },
      },
    });
    const [socket, welcome] = await connectWelcomed(h.url, { protocols: ["realtime.v1"] });
    const firstExpiry = welcome.expiresAt as number;
    answers.push(firstExpiry + 10_000);
    // Half the time left (below the 60 s lead): the handler is asked, and extends.
    clock.advance(5000);
    await alive(socket);
    assert.deepEqual(asked, ["alice"]);
    clock.advance(5000);
    await alive(socket);
    assert.equal(socket.pending.some((f) => f.type === "token_expiring"), false);
    // Asked again before the new expiry; this time it leaves it to the client.
    clock.advance(5000);
    const expiring = await socket.next((f) => f.type === "token_expiring");
    assert.equal(expiring.expiresAt, firstExpiry + 10_000);
    assert.deepEqual(asked, ["alice", "alice"]);
    clock.advance(5000);
    const error = await socket.next((f) => f.type === "error");
    assert.equal(error.code, "TOKEN_EXPIRED");
    assert.equal((await socket.closed).code, 4001);
  },
);

eachTransport("refresh that refuses ends the session with TOKEN_EXPIRED", async (t) => {
  const clock = new ManualClock();
  await using h = await startTestHub(t, {
    clock,
    authenticate: () =>
      Promise.resolve({ sub: "alice", roles: [], claims: {}, expiresAt: clock.now() + 10_000 }),
    handlers: {
      refresh() {
        throw new HubError("FORBIDDEN", "Logged out");
      },
    },
  });
  const [socket] = await connectWelcomed(h.url, { protocols: ["realtime.v1"] });
  clock.advance(5000);
  const error = await socket.next((f) => f.type === "error");
  assert.deepEqual([error.code, error.message], ["TOKEN_EXPIRED", "Logged out"]);
  assert.equal((await socket.closed).code, 4001);
});
