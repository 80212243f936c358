// POST /broadcast with an idempotencyKey over real HTTP, on the in-memory
// engine and on a real redis-server: a retry after a success stores and
// delivers once and answers the first position; another key publishes
// again; a bad key is a 400 with no publication; the server's keys never
// match a user's. The window's bounds come from the config file: on the
// in-memory engine an injected clock passes it, on Redis the test waits for
// Redis to expire the key set (the Redis clock's TTL).

import assert from "node:assert/strict";
import { ManualClock } from "../_support/manual_clock.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import { idempotencyKeys } from "../../src/engine/redis/_names.ts";
import type { Engine } from "../../src/engine/engine.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import { plainHubOptions } from "../../src/hub/options.ts";
import { loadServerConfig } from "../../src/server/config.ts";
import { startServer } from "../../src/server/start.ts";
import { ADMIN_KEY, call, startAdmin } from "./_helpers.ts";
import type { TestSocket } from "../_support/client.ts";

const P = "/v1/realtime";
const HISTORY = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];

/** The next message on `socket`, which must be the one carrying `payload`. */
async function expectMessage(socket: TestSocket, payload: unknown): Promise<void> {
  const message = await socket.next((f) => f.type === "message");
  assert.deepEqual(message.payload, payload, `unexpected delivery: ${JSON.stringify(message)}`);
}

/** Runs `fn` on a hub on the in-memory engine and on one on a real Redis. */
function eachEngine(
  name: string,
  fn: (hubOptions: Partial<HubOptions>) => Promise<void>,
): void {
  Deno.test(`${name} (memory engine)`, () => fn({ history: HISTORY }));
  Deno.test(`${name} (redis engine)`, async () => {
    await using server = await startRedisServer();
    const engine: Engine = await createRedisEngine({ url: server.url, history: HISTORY });
    try {
      await fn({ history: HISTORY, engine });
    } finally {
      await engine.close();
    }
  });
}

eachEngine("POST /broadcast with a repeated idempotencyKey publishes once", async (hubOptions) => {
  await using f = await startAdmin({}, hubOptions);
  const alice = await f.open("alice");
  await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  const broadcast = (idempotencyKey: string, n: number) =>
    call(f.base, "POST", `${P}/broadcast`, {
      body: { topic: "chat:lobby", payload: { n }, idempotencyKey },
    });
  const first = await broadcast("order-17", 1);
  assert.equal(first.status, 200);
  assert.equal(first.json.offset, 1);
  assert.equal(typeof first.json.epoch, "string");
  assert.equal(first.json.reached, 0);
  // The backend's retry after a timeout: the same answer, nothing new.
  const retry = await broadcast("order-17", 1);
  assert.deepEqual([retry.status, retry.json], [200, first.json]);
  const other = await broadcast("order-18", 2);
  assert.deepEqual([other.json.offset, other.json.epoch], [2, first.json.epoch]);
  // A user's key of the same text is the user's own: it publishes.
  const own = await alice.request({
    type: "publish",
    id: 2,
    topic: "chat:lobby",
    payload: { n: 3 },
    idempotencyKey: "order-17",
  });
  assert.equal(own.offset, 3);
  for (const n of [1, 2, 3]) await expectMessage(alice, { n });
  const { publications } = await f.h.hub.history("chat:lobby", { limit: 10 });
  assert.deepEqual(publications.map((p) => p.publication.data), ['{"n":1}', '{"n":2}', '{"n":3}']);
  assert.deepEqual(
    f.audit.filter((e) => e.event === "admin.broadcast").map((e) => [e.idempotencyKey, e.offset]),
    [["order-17", 1], ["order-17", 1], ["order-18", 2]],
  );
});

eachEngine(
  "POST /broadcast refuses a bad idempotencyKey with 400 and publishes nothing",
  async (hubOptions) => {
    await using f = await startAdmin({}, hubOptions);
    const alice = await f.open("alice");
    await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
    const bad: [unknown, Record<string, unknown>, RegExp][] = [
      [
        "x".repeat(65),
        {},
        /must be 1 to 64 printable ASCII characters without space, got a string of 65/,
      ],
      ["has space", {}, /got a string of 9/],
      ["", {}, /got a string of 0/],
      [42, {}, /got number/],
      ["k-1", { users: ["alice"] }, /only a broadcast to a 'topic' without 'users'/],
    ];
    for (const [idempotencyKey, extra, message] of bad) {
      const res = await call(f.base, "POST", `${P}/broadcast`, {
        body: { topic: "chat:lobby", payload: "no", idempotencyKey, ...extra },
      });
      assert.equal(res.status, 400, JSON.stringify(idempotencyKey));
      assert.equal(res.json.code, "BAD_REQUEST");
      assert.match(res.json.message, message);
    }
    const noTopic = await call(f.base, "POST", `${P}/broadcast`, {
      body: { payload: "no", idempotencyKey: "k-2" },
    });
    assert.deepEqual([noTopic.status, noTopic.json.code], [400, "BAD_REQUEST"]);
    // Nothing was published: the next message is the sentinel, at offset 1.
    const sentinel = await call(f.base, "POST", `${P}/broadcast`, {
      body: { topic: "chat:lobby", payload: "sentinel" },
    });
    assert.equal(sentinel.json.offset, 1);
    await expectMessage(alice, "sentinel");
  },
);

Deno.test("idempotencyWindowMs from the config file bounds the in-memory engine's window", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({ history: HISTORY, idempotencyWindowMs: 1000, maxIdempotencyKeys: 2 }),
    );
    const config = await loadServerConfig({}, file);
    const clock = new ManualClock();
    // The test hub brings its own key; the rest is the file's.
    const { auth: _auth, ...plain } = plainHubOptions(config);
    await using f = await startAdmin({}, { ...plain, clock });
    const broadcast = async (idempotencyKey: string) =>
      (await call(f.base, "POST", `${P}/broadcast`, {
        body: { topic: "chat:lobby", payload: idempotencyKey, idempotencyKey },
      })).json.offset;
    assert.equal(await broadcast("a"), 1);
    clock.advance(999);
    assert.equal(await broadcast("a"), 1, "still within the window");
    clock.advance(1);
    assert.equal(await broadcast("a"), 2, "the window has passed");
    // At most two keys per publisher and topic: "a" (offset 2) goes first.
    assert.equal(await broadcast("b"), 3);
    assert.equal(await broadcast("c"), 4);
    assert.equal(await broadcast("c"), 4);
    assert.equal(await broadcast("a"), 5);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("idempotencyWindowMs from the config file bounds the Redis engine's window", async () => {
  await using redis = await startRedisServer();
  await using started = await startServer(
    {
      port: 0,
      hostname: "127.0.0.1",
      auth: { secret: "idempotent-broadcast-secret-of-32-bytes!" },
      adminKey: ADMIN_KEY,
      engine: { redis: { urls: [redis.url], prefix: "idem", history: HISTORY } },
      // The top-level bound reaches the Redis engine too.
      idempotencyWindowMs: 300,
    },
    { log: () => {} },
  );
  const base = `http://127.0.0.1:${started.server.port}`;
  const broadcast = async () =>
    (await call(base, "POST", `${P}/broadcast`, {
      body: { topic: "chat:lobby", payload: 1, idempotencyKey: "a" },
    })).json.offset;
  assert.equal(await broadcast(), 1);
  const keys = idempotencyKeys("idem", "chat:lobby", null);
  const ttl = Number(await redis.cli("PTTL", keys.expiry));
  assert.ok(ttl > 0 && ttl <= 300, `the key set lapses with the configured window: ${ttl}`);
  assert.equal(await broadcast(), 1);
  // Wait for Redis itself to expire the key set: the window has passed on its clock.
  const deadline = Date.now() + 5000;
  while (await redis.cli("EXISTS", keys.expiry) !== "0") {
    assert.ok(Date.now() < deadline, "Redis did not expire the idempotency keys within 5 s");
  }
  assert.equal(await broadcast(), 2);
});

Deno.test("maxIdempotencyKeysTotal from the config file bounds the in-memory engine's keys in all", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({ history: HISTORY, maxIdempotencyKeysTotal: 1 }),
    );
    const { auth: _auth, ...plain } = plainHubOptions(await loadServerConfig({}, file));
    await using f = await startAdmin({}, plain);
    const broadcast = async (topic: string) =>
      (await call(f.base, "POST", `${P}/broadcast`, {
        body: { topic, payload: 1, idempotencyKey: "a" },
      })).json.offset;
    assert.equal(await broadcast("chat:x"), 1);
    assert.equal(await broadcast("chat:x"), 1);
    // One key in all: chat:y's pushes chat:x's out.
    assert.equal(await broadcast("chat:y"), 1);
    assert.equal(await broadcast("chat:x"), 2);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("startServer refuses an idempotency bound that is not a positive integer", async () => {
  for (const bad of [{ idempotencyWindowMs: 0 }, { maxIdempotencyKeys: 1.5 }]) {
    await assert.rejects(
      () =>
        startServer(
          { port: 0, hostname: "127.0.0.1", auth: { secret: "x".repeat(32) }, ...bad },
          { log: () => {} },
        ),
      (error) => error instanceof RangeError && error.message.includes(`'${Object.keys(bad)[0]}'`),
    );
  }
});
