// History and presence reads while the engine is down: over real sockets, a
// real hub on a real redis-server that the test stops and starts again.
// docs/protocol.md, "Error codes": such a read gets INTERNAL with retry, the
// connection stays, and the same read works once the engine is back.

import assert from "node:assert/strict";
import { connectWelcomed } from "../_support/client.ts";
import { startTestHub } from "../_support/hub.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import { eventually } from "../engine/_redis_listen.ts";

const history = [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }];

Deno.test("history and presence reads get INTERNAL with retry while the engine is down", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({ url: server.url, history, log: () => {} });
  await using h = await startTestHub("ws", { history, engine });
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["realtime.v1", "auth", await h.token({ sub: "ann", acl: { "chat:*": ["*"] } })],
  });
  await h.hub.publish("chat:a", "before");
  const reads = [
    { type: "history", topic: "chat:a" },
    { type: "presence", topic: "chat:a" },
    { type: "presence_stats", topic: "chat:a" },
  ];

  await server.stop();
  let id = 0;
  for (const read of reads) {
    const reply = await socket.request({ ...read, id: ++id }, 10_000);
    assert.deepEqual(reply, {
      type: "error",
      id,
      code: "INTERNAL",
      message: "Cannot read 'chat:a' now: the engine is unavailable",
      retry: true,
    }, read.type);
  }
  assert.equal((await socket.request({ type: "ping", id: "alive" })).type, "pong");

  await server.restart();
  await eventually(
    () => Promise.resolve(engine.health().ok),
    "the engine is healthy again",
    10_000,
  );
  for (const read of reads) {
    const reply = await socket.request({ ...read, id: ++id }, 10_000);
    assert.equal(reply.type, read.type, JSON.stringify(reply));
  }
  await socket.close();
});
