// A publication the engine's bounds refuse reaches the publisher with the
// engine's own code (`TOO_LARGE`, `QUOTA_EXCEEDED`), not as an outage
// (`INTERNAL`): a hub on a real Redis engine, a real redis-server, real sockets.

import assert from "node:assert/strict";
import { connectWelcomed } from "../_support/client.ts";
import { startTestHub } from "../_support/hub.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";

const HISTORY = [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }];

Deno.test("Hub answers a publication refused by the engine's bounds with TOO_LARGE or QUOTA_EXCEEDED", async () => {
  await using redis = await startRedisServer();
  await using engine = await createRedisEngine({
    url: redis.url,
    history: HISTORY,
    maxPublicationBytes: 1000,
    maxStreamBytes: 4000,
    maxNewStreamsPerUser: 1,
  });
  await using h = await startTestHub("ws", { engine, history: HISTORY });
  const token = await h.token({ sub: "mallory", acl: { "chat:*": ["publish"] } });
  const [socket] = await connectWelcomed(h.url, { protocols: ["realtime.v1", "auth", token] });

  const big = await socket.request({
    type: "publish",
    id: "big",
    topic: "chat:a",
    payload: "x".repeat(2000),
  });
  assert.equal(big.code, "TOO_LARGE", JSON.stringify(big));
  assert.equal(big.retry, false);
  assert.match(
    big.message,
    /^Cannot publish to 'chat:a' as the publication takes \d+ bytes: at most 1000 are stored$/,
  );
  // Fire-and-forget: still told, without an id.
  socket.send({ type: "publish", topic: "chat:a", payload: "x".repeat(2000) });
  const unacked = await socket.next((f) => f.type === "error");
  assert.equal(unacked.code, "TOO_LARGE");
  assert.equal(unacked.id, undefined);

  const first = await socket.request({ type: "publish", id: "1", topic: "chat:a", payload: 1 });
  assert.equal(first.type, "ack");
  const second = await socket.request({ type: "publish", id: "2", topic: "chat:b", payload: 1 });
  assert.equal(second.code, "QUOTA_EXCEEDED", JSON.stringify(second));
  assert.equal(second.retry, true);
  const third = await socket.request({ type: "publish", id: "3", topic: "chat:c", payload: 1 });
  assert.equal(third.code, "QUOTA_EXCEEDED");
  // The publisher's existing topic still takes their publications.
  assert.equal(
    (await socket.request({ type: "publish", id: "4", topic: "chat:a", payload: 2 })).type,
    "ack",
  );

  // Audited once at the first refusal (then the 10th, 100th...), never as an engine failure.
  const refusals = h.logs.filter((e) => e.event === "publish.refused");
  assert.deepEqual(
    refusals.map((e) => [e.code, e.refused, e.user]),
    [["TOO_LARGE", 1, "mallory"]],
  );
  assert.equal(h.logs.filter((e) => e.event === "engine.publish_failed").length, 0);
  assert.deepEqual(
    [...h.hub.metrics.rateLimitHits].filter(([k]) =>
      k === "publication_bytes" || k === "new_streams"
    ),
    [["publication_bytes", 2], ["new_streams", 2]],
  );
  await socket.close();
});
