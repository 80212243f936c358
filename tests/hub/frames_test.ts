// Malformed input never kills a connection, the hub or other users' messages.

import assert from "node:assert/strict";
import { connectWelcomed, TestSocket, withTimeout } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";

const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

/** [description, raw frame]: each must be answered with BAD_REQUEST. */
const BAD_FRAMES: [string, string | Uint8Array][] = [
  ["not JSON", "hello"],
  ["truncated JSON", '{"type":"ping"'],
  ["empty text", ""],
  ["JSON null", "null"],
  ["JSON number", "42"],
  ["JSON string", '"ping"'],
  ["JSON array", '[{"type":"ping"}]'],
  ["JSON true", "true"],
  ["no type", '{"id":1}'],
  ["numeric type", '{"type":1}'],
  ["unknown type", '{"type":"explode","id":1}'],
  ["type in wrong case", '{"type":"PING"}'],
  ["id as object", '{"type":"ping","id":{}}'],
  ["id as float", '{"type":"ping","id":1.5}'],
  ["id too long", JSON.stringify({ type: "ping", id: "x".repeat(65) })],
  ["id empty string", '{"type":"ping","id":""}'],
  ["id as boolean", '{"type":"ping","id":true}'],
  ["id beyond safe integer", '{"type":"ping","id":9007199254740993}'],
  ["subscribe without topic", '{"type":"subscribe","id":1}'],
  ["subscribe with numeric topic", '{"type":"subscribe","id":1,"topic":5}'],
  ["subscribe with empty topic", '{"type":"subscribe","id":1,"topic":""}'],
  ["topic with space", '{"type":"subscribe","id":1,"topic":"chat lobby"}'],
  ["topic with empty segment", '{"type":"subscribe","id":1,"topic":"chat::lobby"}'],
  ["topic with trailing colon", '{"type":"subscribe","id":1,"topic":"chat:"}'],
  [
    "topic with 17 segments",
    JSON.stringify({ type: "subscribe", id: 1, topic: Array(17).fill("a").join(":") }),
  ],
  ["segment of 65 characters", JSON.stringify({ type: "subscribe", id: 1, topic: "a".repeat(65) })],
  [
    "topic over 255 characters",
    JSON.stringify({ type: "subscribe", id: 1, topic: Array(8).fill("b".repeat(40)).join(":") }),
  ],
  ["partial wildcard", '{"type":"subscribe","id":1,"topic":"chat:lob*"}'],
  ["** not last", '{"type":"subscribe","id":1,"topic":"**:chat"}'],
  ["publish to a pattern", '{"type":"publish","id":1,"topic":"chat:*","payload":1}'],
  ["publish without topic", '{"type":"publish","id":1,"payload":1}'],
  ["unsubscribe with array topic", '{"type":"unsubscribe","id":1,"topic":["chat:a"]}'],
  ["auth without token", '{"type":"auth","id":1}'],
  ["auth with empty token", '{"type":"auth","id":1,"token":""}'],
  ["auth with numeric token", '{"type":"auth","id":1,"token":123}'],
  ["payload nested too deep", `{"type":"publish","id":1,"topic":"chat:a","payload":${deep(40)}}`],
  ["unicode topic", '{"type":"subscribe","id":1,"topic":"chät:lobby"}'],
  ["binary frame", new Uint8Array([1, 2, 3])],
];

eachTransport(
  `connection answers ${BAD_FRAMES.length} malformed frames with BAD_REQUEST and keeps working`,
  async (t) => {
    await using h = await startTestHub(t);
    const acl = { "chat:*": ["subscribe", "publish"] };
    const [victim] = await connectWelcomed(h.url, {
      protocols: ["realtime.v1", "auth", await h.token({ sub: "v", acl })],
    });
    const [other] = await connectWelcomed(h.url, {
      protocols: ["realtime.v1", "auth", await h.token({ sub: "o", acl })],
    });
    await other.request({ type: "subscribe", id: 1, topic: "chat:a" });
    for (const [what, frame] of BAD_FRAMES) {
      victim.send(frame);
      const error = await victim.next((f) => f.type === "error");
      assert.equal(error.code, "BAD_REQUEST", what);
      assert.equal(error.retry, false, what);
      assert.equal(typeof error.message, "string", what);
      assert.ok(!("stack" in error), what);
      // The victim still works, and so does everyone else.
      assert.equal((await victim.request({ type: "ping", id: what })).type, "pong", what);
      await victim.request({ type: "publish", id: `p-${what}`, topic: "chat:a", payload: what });
      assert.equal((await other.next((f) => f.type === "message")).payload, what);
    }
    await victim.close();
    await other.close();
  },
);

eachTransport("an error reply echoes a valid id and omits an invalid one", async (t) => {
  await using h = await startTestHub(t);
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "a" })],
  });
  socket.send({ type: "nope", id: "x1" });
  assert.equal((await socket.next((f) => f.type === "error")).id, "x1");
  socket.send({ type: "ping", id: { bad: true } });
  assert.equal("id" in (await socket.next((f) => f.type === "error")), false);
  await socket.close();
});

eachTransport("repeated protocol violations close the connection with 4000", async (t) => {
  await using h = await startTestHub(t, { limits: { maxViolations: 5 } });
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "a" })],
  });
  for (let i = 0; i < 6; i++) socket.send("garbage");
  const closed = await withTimeout(socket.closed, 3000, "close");
  assert.equal(closed.code, 4000);
});

Deno.test("an oversize frame closes with 1009 on the ws transport", async () => {
  await using h = await startTestHub("ws", { limits: { maxFrameBytes: 1024 } });
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "a" })],
  });
  socket.send({ type: "publish", topic: "chat:a", payload: "x".repeat(2000) });
  assert.equal((await withTimeout(socket.closed, 3000, "close")).code, 1009);
});

Deno.test("an oversize frame gets TOO_LARGE with its request id on the deno transport and the connection survives", async () => {
  await using h = await startTestHub("deno", { limits: { maxFrameBytes: 1024 } });
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "a" })],
  });
  socket.send({ type: "publish", id: 1, topic: "chat:a", payload: "x".repeat(2000) });
  const error = await socket.next((f) => f.type === "error");
  assert.deepEqual([error.code, error.retry, error.id], ["TOO_LARGE", false, 1]);
  assert.equal((await socket.request({ type: "ping", id: 2 })).type, "pong");
  await socket.close();
});

eachTransport(
  "frames before authentication other than auth and ping get AUTH_FAILED",
  async (t) => {
    await using h = await startTestHub(t);
    const socket = new TestSocket(h.url);
    await socket.opened;
    for (const type of ["subscribe", "unsubscribe", "publish"]) {
      const reply = await socket.request({ type, id: type, topic: "chat:a", payload: 1 });
      assert.deepEqual([reply.type, reply.code], ["error", "AUTH_FAILED"], type);
    }
    await socket.close();
  },
);
