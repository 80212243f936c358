// The Redis engine's bounds against one publisher, on a real redis-server:
// the size of one publication, the bytes one topic's stream keeps, and the
// number of new history streams one user may start per window, counted in
// Redis so two engines (two hubs) share it.

import assert from "node:assert/strict";
import { EngineError } from "../../src/engine/errors.ts";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { eventually } from "./_redis_listen.ts";

const history = [{ pattern: "h:*", size: 100, ttlMs: 60_000 }];
const from = (user: string | null, data: string) => ({ data, from: user, ts: 1 });
const refused = (code: string) => (e: unknown) => e instanceof EngineError && e.code === code;

Deno.test("createRedisEngine refuses a publication over maxPublicationBytes with TOO_LARGE and stores nothing", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({
    url: server.url,
    prefix: "big",
    history,
    maxPublicationBytes: 1000,
    maxStreamBytes: 4000,
  });
  // Multi-byte characters count as the bytes Redis stores: 400 × 'é' is 800 bytes plus quotes.
  await engine.publish("h:a", from("alice", JSON.stringify("é".repeat(400))));
  const error = await engine.publish("h:a", from("alice", JSON.stringify("é".repeat(500))))
    .catch((e) => e);
  assert.ok(refused("TOO_LARGE")(error), String(error));
  assert.equal(error.retry, false);
  assert.match(error.message, /takes 10\d\d bytes: at most 1000 are stored/);
  await assert.rejects(
    engine.publish("plain:x", from(null, `"${"x".repeat(1000)}"`)),
    refused("TOO_LARGE"),
  );
  const { publications, position } = await engine.history("h:a", { limit: 10 });
  assert.equal(publications.length, 1);
  assert.equal(position.offset, 1, "the refused publication took no offset");
});

Deno.test("createRedisEngine keeps at most maxStreamBytes per stream, oldest first, and recovery says what was dropped", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({
    url: server.url,
    prefix: "cap",
    history,
    maxPublicationBytes: 10_000,
    maxStreamBytes: 20_000,
  });
  const payload = (i: number) => JSON.stringify(`${i}:${"x".repeat(5000)}`);
  let first;
  for (let i = 1; i <= 30; i++) {
    const position = await engine.publish("h:flood", from(null, payload(i)));
    first ??= position;
  }
  const { publications, position } = await engine.history("h:flood", { limit: 100 });
  assert.equal(position.offset, 30);
  const kept = publications.map((p) => p.offset);
  // Each encoded publication is about 5,030 bytes: three fit in 20,000.
  assert.deepEqual(kept, [28, 29, 30]);
  const stored = Number(await server.cli("HGET", "cap:{h:flood}:meta", "b"));
  const sum = publications.reduce(
    (n, p) => n + JSON.stringify({ d: p.publication.data, f: null, t: 1 }).length,
    0,
  );
  assert.equal(stored, sum, "the script's byte count matches what the stream holds");
  assert.ok(stored <= 20_000);
  const memory = Number(await server.cli("MEMORY", "USAGE", "cap:{h:flood}:stream"));
  assert.ok(memory < 20_000 + 4096, `the stream takes ${memory} bytes in Redis`);
  // From before the dropped ones: nothing replayed, never a partial replay.
  const lost = await engine.recover("h:flood", first!, 1000);
  assert.equal(lost.recovered, false);
  const held = await engine.recover("h:flood", { offset: 27, epoch: position.epoch }, 1000);
  assert.equal(held.recovered, true);
  assert.deepEqual(held.recovered && held.publications.map((p) => p.offset), [28, 29, 30]);
  // Small publications again: the count bound still applies, the byte count follows.
  for (let i = 0; i < 150; i++) await engine.publish("h:flood", from(null, `${i}`));
  assert.equal(Number(await server.cli("XLEN", "cap:{h:flood}:stream")), 100);
  const small = await engine.history("h:flood", { limit: 100 });
  const smallSum = small.publications.reduce(
    (n, p) => n + JSON.stringify({ d: p.publication.data, f: null, t: 1 }).length,
    0,
  );
  assert.equal(Number(await server.cli("HGET", "cap:{h:flood}:meta", "b")), smallSum);
});

Deno.test("createRedisEngine lets one user start at most maxNewStreamsPerUser history streams per window, across engines", async () => {
  await using server = await startRedisServer();
  const options = {
    url: server.url,
    prefix: "quota",
    history,
    maxNewStreamsPerUser: 3,
    newStreamsWindowMs: 60_000,
  };
  // Two engines: two hubs on one Redis share the user's count.
  await using a = await createRedisEngine(options);
  await using b = await createRedisEngine(options);
  await a.publish("h:1", from("mallory", "1"));
  await b.publish("h:2", from("mallory", "1"));
  await a.publish("h:3", from("mallory", "1"));
  const error = await b.publish("h:4", from("mallory", "1")).catch((e) => e);
  assert.ok(refused("QUOTA_EXCEEDED")(error), String(error));
  assert.equal(error.retry, true);
  assert.match(
    error.message,
    /^Cannot start history on 'h:4': this user started 3 history topics in 60000 ms, the most allowed; retry in \d+ s$/,
  );
  assert.equal(await server.cli("EXISTS", "quota:{h:4}:stream"), "0", "nothing was stored");
  // Streams that exist take the user's publications; others are not charged.
  await a.publish("h:1", from("mallory", "2"));
  await b.publish("h:4", from("alice", "1"));
  await a.publish("h:5", from(null, "server"));
  // Once alice started h:4, mallory may publish there too.
  await a.publish("h:4", from("mallory", "2"));
  assert.deepEqual(
    (await a.history("h:4", { limit: 10 })).publications.map((p) => p.publication.from),
    ["alice", "mallory"],
  );
  // Concurrent first publications of one user to one new topic are charged once.
  await server.cli("DEL", "quota:quota:{alice}:streams");
  await Promise.all([1, 2, 3, 4].map((i) => a.publish("h:race", from("alice", `${i}`))));
  assert.equal(await server.cli("GET", "quota:quota:{alice}:streams"), "1");
  assert.deepEqual(
    (await a.history("h:race", { limit: 10 })).publications.map((p) => p.publication.data),
    ["1", "2", "3", "4"],
    "in the order they were called",
  );
});

Deno.test("createRedisEngine grants new streams again once the user's window has passed", async () => {
  await using server = await startRedisServer();
  await using engine = await createRedisEngine({
    url: server.url,
    prefix: "window",
    history,
    maxNewStreamsPerUser: 1,
    newStreamsWindowMs: 300,
  });
  await engine.publish("h:1", from("mallory", "1"));
  await assert.rejects(engine.publish("h:2", from("mallory", "1")), refused("QUOTA_EXCEEDED"));
  // The window is Redis's own key lifetime: wait on the key, not on a clock.
  await eventually(
    async () => (await server.cli("EXISTS", "window:quota:{mallory}:streams")) === "0",
    "the window's key expired",
  );
  await engine.publish("h:2", from("mallory", "1"));
});

Deno.test("createRedisEngine refuses bounds that cannot hold", async () => {
  await assert.rejects(
    createRedisEngine({
      url: "redis://127.0.0.1:1",
      maxPublicationBytes: 2000,
      maxStreamBytes: 1000,
    }),
    (e) =>
      e instanceof RangeError &&
      e.message ===
        "Invalid 'maxPublicationBytes': must be at most 'maxStreamBytes' (1000), got 2000",
  );
  await assert.rejects(
    createRedisEngine({ url: "redis://127.0.0.1:1", maxNewStreamsPerUser: 0 }),
    (e) => e instanceof RangeError && e.message.includes("'maxNewStreamsPerUser'"),
  );
});
