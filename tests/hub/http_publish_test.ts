// POST /publish over real sockets, on both transports: the ACL, size and
// rate limits of a protocol v1 publish, the application's publish handler,
// the position in the answer, and a table of malformed requests each
// answered with a stable code while a subscriber sees nothing of them.

import assert from "node:assert/strict";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import { connectWelcomed, withTimeout } from "../_support/client.ts";
import { HubError } from "../../src/protocol/errors.ts";

const HISTORY = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];
const ACL = { "chat:*": ["subscribe", "publish"], "news:*": ["publish"] };

async function post(
  hub: TestHub,
  body: string,
  headers: Record<string, string> = {},
): Promise<[number, Record<string, unknown>, Headers]> {
  const response = await fetch(`http://127.0.0.1:${hub.port}/publish`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return [response.status, await response.json(), response.headers];
}

eachTransport("http publish answers the position and reaches a v1 subscriber", async (t) => {
  await using hub = await startTestHub(t, { history: HISTORY });
  const token = await hub.token({ sub: "server-1", acl: ACL });
  const auth = { authorization: `Bearer ${token}` };
  const [client] = await connectWelcomed(hub.url, {
    headers: { authorization: `Bearer ${await hub.token({ sub: "bob", acl: ACL })}` },
  });
  client.send({ type: "subscribe", id: 1, topic: "chat:a" });
  await client.next((f) => f.type === "ack" && f.id === 1);
  const [status, answer] = await post(
    hub,
    JSON.stringify({ topic: "chat:a", payload: { n: 1 } }),
    auth,
  );
  assert.equal(status, 200);
  assert.equal(answer.offset, 1);
  assert.equal(typeof answer.epoch, "string");
  const message = await client.next((f) => f.type === "message");
  assert.deepEqual([message.topic, message.payload, message.from, message.offset], [
    "chat:a",
    { n: 1 },
    "server-1",
    1,
  ]);
  // A topic without history: an empty answer.
  const [plain, body] = await post(hub, JSON.stringify({ topic: "news:x", payload: 1 }), auth);
  assert.deepEqual([plain, body], [200, {}]);
  // Listed as transport http while it lasts; nothing is left open after.
  assert.equal(hub.hub.connectionCount, 1);
  await client.close();
});

eachTransport(
  "http publish refuses what a v1 publish refuses, and a malformed request changes nothing",
  async (t) => {
    await using hub = await startTestHub(t, {
      history: HISTORY,
      limits: { maxFrameBytes: 1024 },
    });
    const token = await hub.token({ sub: "server-1", acl: ACL });
    const auth = { authorization: `Bearer ${token}` };
    const [client] = await connectWelcomed(hub.url, {
      headers: { authorization: `Bearer ${await hub.token({ sub: "bob", acl: ACL })}` },
    });
    client.send({ type: "subscribe", id: 1, topic: "chat:a" });
    await client.next((f) => f.type === "ack" && f.id === 1);
    const cases: [string, string, Record<string, string>, number, string][] = [
      ["no token", '{"topic":"chat:a","payload":1}', {}, 401, "AUTH_FAILED"],
      [
        "bad token",
        '{"topic":"chat:a","payload":1}',
        { authorization: "Bearer x.y.z" },
        401,
        "AUTH_FAILED",
      ],
      ["forbidden topic", '{"topic":"secret:a","payload":1}', auth, 403, "FORBIDDEN"],
      ["not JSON", "{", auth, 400, "BAD_REQUEST"],
      ["not an object", "[1]", auth, 400, "BAD_REQUEST"],
      ["no payload", '{"topic":"chat:a"}', auth, 400, "BAD_REQUEST"],
      ["no topic", '{"payload":1}', auth, 400, "BAD_REQUEST"],
      ["bad topic", '{"topic":"a b","payload":1}', auth, 400, "BAD_REQUEST"],
      ["pattern", '{"topic":"chat:*","payload":1}', auth, 400, "BAD_REQUEST"],
      [
        "unknown field",
        '{"topic":"chat:a","payload":1,"type":"subscribe"}',
        auth,
        400,
        "BAD_REQUEST",
      ],
      [
        "too large",
        JSON.stringify({ topic: "chat:a", payload: "x".repeat(2000) }),
        auth,
        413,
        "TOO_LARGE",
      ],
      [
        "too deep",
        `{"topic":"chat:a","payload":${"[".repeat(40)}${"]".repeat(40)}}`,
        auth,
        400,
        "BAD_REQUEST",
      ],
    ];
    for (const [name, body, headers, status, code] of cases) {
      const [got, answer] = await post(hub, body, headers);
      assert.deepEqual([got, answer.code], [status, code], name);
      assert.equal(typeof answer.message, "string", name);
    }
    const wrongType = await fetch(`http://127.0.0.1:${hub.port}/publish`, {
      method: "POST",
      headers: { "content-type": "text/plain", ...auth },
      body: '{"topic":"chat:a","payload":1}',
    });
    assert.deepEqual([wrongType.status, (await wrongType.json()).code], [415, "BAD_REQUEST"]);
    const get = await fetch(`http://127.0.0.1:${hub.port}/publish`, { headers: auth });
    assert.equal(get.status, 405);
    await get.body?.cancel();
    const badUtf8 = await fetch(`http://127.0.0.1:${hub.port}/publish`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
    });
    assert.deepEqual([badUtf8.status, (await badUtf8.json()).code], [400, "BAD_REQUEST"]);
    // None of them published anything, and the hub still publishes.
    const [ok] = await post(hub, '{"topic":"chat:a","payload":"after"}', auth);
    assert.equal(ok, 200);
    const message = await client.next((f) => f.type === "message");
    assert.equal(message.payload, "after", "the first message the subscriber sees");
    assert.equal(hub.hub.connectionCount, 1);
    await client.close();
  },
);

eachTransport("http publish is rate-limited per user as a connection's frames are", async (t) => {
  await using hub = await startTestHub(t, { limits: { messageRate: 1, messageBurst: 3 } });
  const alice = { authorization: `Bearer ${await hub.token({ sub: "alice", acl: ACL })}` };
  const bob = { authorization: `Bearer ${await hub.token({ sub: "bob", acl: ACL })}` };
  const body = '{"topic":"news:a","payload":1}';
  for (let i = 0; i < 3; i++) assert.equal((await post(hub, body, alice))[0], 200);
  const [status, answer, headers] = await post(hub, body, alice);
  assert.deepEqual([status, answer.code], [429, "RATE_LIMITED"]);
  assert.ok(Number(headers.get("retry-after")) >= 1);
  // Another user's bucket is their own.
  assert.equal((await post(hub, body, bob))[0], 200);
});

eachTransport("http publish goes through the application's publish handler", async (t) => {
  await using hub = await startTestHub(t, {
    handlers: {
      publish: ({ payload }) => {
        if (payload === "refuse") throw new HubError("FORBIDDEN", "Refused by the application");
        return { payload: { wrapped: payload } };
      },
    },
  });
  const auth = { authorization: `Bearer ${await hub.token({ sub: "alice", acl: ACL })}` };
  const [client] = await connectWelcomed(hub.url, {
    headers: { authorization: `Bearer ${await hub.token({ sub: "bob", acl: ACL })}` },
  });
  client.send({ type: "subscribe", id: 1, topic: "chat:h" });
  await client.next((f) => f.type === "ack" && f.id === 1);
  assert.equal((await post(hub, '{"topic":"chat:h","payload":"x"}', auth))[0], 200);
  const message = await withTimeout(client.next((f) => f.type === "message"), 10_000, "message");
  assert.deepEqual(message.payload, { wrapped: "x" });
  const [status, answer] = await post(hub, '{"topic":"chat:h","payload":"refuse"}', auth);
  assert.deepEqual([status, answer.code], [403, "FORBIDDEN"]);
  await client.close();
});

eachTransport(
  "http publish with a repeated idempotencyKey publishes once, a bad key is a 400",
  async (t) => {
    await using hub = await startTestHub(t, { history: HISTORY });
    const token = await hub.token({ sub: "server-1", acl: ACL });
    const auth = { authorization: `Bearer ${token}` };
    const [client] = await connectWelcomed(hub.url, {
      headers: { authorization: `Bearer ${await hub.token({ sub: "bob", acl: ACL })}` },
    });
    client.send({ type: "subscribe", id: 1, topic: "chat:a" });
    await client.next((f) => f.type === "ack" && f.id === 1);
    const send = (payload: unknown, idempotencyKey: unknown) =>
      post(hub, JSON.stringify({ topic: "chat:a", payload, idempotencyKey }), auth);
    const [status, first] = await send(1, "k-1");
    assert.deepEqual([status, first.offset], [200, 1]);
    // A retry after a lost answer: the first position, nothing published.
    assert.deepEqual(await send(1, "k-1").then(([s, b]) => [s, b]), [200, first]);
    for (const bad of ["x".repeat(65), "a b", 7]) {
      const [refused, body] = await send("no", bad);
      assert.deepEqual([refused, body.code], [400, "BAD_REQUEST"]);
      assert.match(String(body.message), /'idempotencyKey' must be 1 to 64 printable ASCII/);
    }
    const [, second] = await send(2, "k-2");
    assert.equal(second.offset, 2);
    for (const payload of [1, 2]) {
      assert.equal((await client.next((f) => f.type === "message")).payload, payload);
    }
    await client.close();
  },
);
