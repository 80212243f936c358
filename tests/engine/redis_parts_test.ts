// The Redis engine's parts that need no Redis: key and channel names, the glob a pattern
// becomes, consistent hashing, decoding, gap tracking and option checks.

import assert from "node:assert/strict";
import { matchPattern } from "../../src/topic/pattern.ts";
import {
  decodeChannelMessage,
  decodeControl,
  decodePublication,
  encodePublication,
} from "../../src/engine/redis/_codec.ts";
import {
  channelTopic,
  patternGlob,
  topicChannel,
  topicKeys,
} from "../../src/engine/redis/_names.ts";
import { GapTracker } from "../../src/engine/redis/_gap_tracker.ts";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import { hash32, shardRing } from "../../src/engine/redis/_shard_ring.ts";
import { redactRedisUrl } from "../../src/engine/redis/redact_url.ts";

/** Redis's glob matching, for the characters a topic can hold. */
function redisGlob(glob: string, text: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, "\\$&").replaceAll("*", ".*")}$`);
  return re.test(text);
}

Deno.test("topicKeys puts every key of a topic in one Cluster slot with a {topic} hash tag", () => {
  const keys = topicKeys("rt", "chat:lobby");
  assert.deepEqual(keys, {
    meta: "rt:{chat:lobby}:meta",
    stream: "rt:{chat:lobby}:stream",
    presence: "rt:{chat:lobby}:presence",
    presenceExpiry: "rt:{chat:lobby}:presence:exp",
  });
  assert.equal(channelTopic("rt", topicChannel("rt", "a:b")), "a:b");
  assert.equal(channelTopic("rt", "rt:control"), undefined);
});

Deno.test("patternGlob is a superset of its pattern, made exact by matchPattern", () => {
  const cases: [string, string, boolean][] = [
    ["chat:*", "chat:a", true],
    ["chat:*", "chat:a:b", false],
    ["chat:**", "chat:a:b", true],
    ["chat:**", "chat", false],
    ["*:lobby", "chat:lobby", true],
    ["*:lobby", "x:chat:lobby", false],
    ["org:*:room:**", "org:acme:room:1:2", true],
  ];
  for (const [pattern, topic, exact] of cases) {
    const glob = patternGlob("rt", pattern);
    const channel = topicChannel("rt", topic);
    if (exact) assert.ok(redisGlob(glob, channel), `${glob} reaches ${channel}`);
    assert.equal(
      redisGlob(glob, channel) && matchPattern(pattern, topic),
      exact,
      pattern + " " + topic,
    );
  }
  assert.equal(patternGlob("rt", "chat:**"), "rt:t:chat:*");
});

Deno.test("shardRing maps topics deterministically, evenly, and moves few when a shard is added", () => {
  const three = shardRing(["redis://a:6379", "redis://b:6379", "redis://c:6379"]);
  const four = shardRing(["redis://a:6379", "redis://b:6379", "redis://c:6379", "redis://d:6379"]);
  const reordered = shardRing(["redis://c:6379", "redis://a:6379", "redis://b:6379"]);
  const counts = [0, 0, 0];
  let moved = 0;
  const n = 30_000;
  for (let i = 0; i < n; i++) {
    const topic = `chat:room-${i}`;
    const shard = three(topic);
    counts[shard]++;
    if (four(topic) !== shard) moved++;
    assert.equal(
      ["a", "b", "c"][shard],
      ["c", "a", "b"][reordered(topic)],
      "order of URLs is irrelevant",
    );
  }
  for (const count of counts) assert.ok(count > n / 3 * 0.8 && count < n / 3 * 1.2, `${counts}`);
  assert.ok(moved > n * 0.15 && moved < n * 0.35, `about 1/4 moved, got ${moved / n}`);
  assert.equal(shardRing(["redis://a"])("any"), 0);
  assert.notEqual(hash32("chat:a"), hash32("chat:b"));
});

Deno.test("decodeChannelMessage reads what the scripts publish and rejects anything else", () => {
  const encoded = encodePublication({
    data: '"é\\u0000"',
    from: "alice",
    ts: 5,
    event: "e",
    extra: "x.y.z",
  });
  assert.deepEqual(decodePublication(encoded), {
    data: '"é\\u0000"',
    from: "alice",
    ts: 5,
    event: "e",
    extra: "x.y.z",
  });
  assert.deepEqual(decodeChannelMessage(`{"o":7,"e":"ep","p":${encoded}}`), {
    kind: "publication",
    publication: decodePublication(encoded),
    offset: 7,
    epoch: "ep",
  });
  assert.deepEqual(decodeChannelMessage('{"j":{"c":"c1","u":"bob"}}'), {
    kind: "join",
    entry: { connection: "c1", user: "bob" },
  });
  for (
    const bad of [
      "",
      "null",
      "[]",
      '{"p":{"d":1,"t":1}}',
      '{"o":0,"e":"x","p":{"d":"1","f":null,"t":1}}',
      '{"l":{"c":1}}',
    ]
  ) {
    assert.equal(decodeChannelMessage(bad), undefined, bad);
  }
  assert.equal(decodeControl('{"s":"x","c":{"type":"reboot"}}'), undefined);
  assert.equal(decodeControl('{"s":"x","c":null}'), undefined);
});

Deno.test("redactRedisUrl hides credentials and keeps where Redis is", () => {
  assert.equal(
    redactRedisUrl("redis://user:secret@10.0.0.1:6379/2"),
    "redis://***@10.0.0.1:6379/2",
  );
  assert.equal(redactRedisUrl("redis://:secret@host:6379"), "redis://***@host:6379");
  assert.equal(redactRedisUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
});

Deno.test("GapTracker reports skipped offsets and epoch changes, not duplicates", () => {
  const tracker = new GapTracker(3);
  const steps: [string, number, string, string | undefined][] = [
    ["a", 5, "e1", undefined], // first seen: a baseline
    ["a", 6, "e1", undefined],
    ["a", 6, "e1", undefined], // the same publication through a glob
    ["a", 8, "e1", "gap"],
    ["a", 1, "e2", "epoch"],
    ["a", 2, "e2", undefined],
  ];
  for (const [topic, offset, epoch, reason] of steps) {
    assert.equal(tracker.observe(topic, offset, epoch), reason, `${topic} ${offset} ${epoch}`);
  }
  for (const t of ["b", "c", "d"]) tracker.observe(t, 1, "e");
  assert.equal(tracker.size, 3, "bounded: the oldest topic was forgotten");
  assert.equal(tracker.observe("a", 9, "e2"), undefined, "a forgotten topic starts a new baseline");
  tracker.forget("b");
  assert.deepEqual(tracker.topics().sort(), ["a", "c", "d"]);
});

Deno.test("createRedisEngine rejects bad options with the value seen, before connecting, without echoing a password", async () => {
  const cases: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
    [{}, TypeError, /exactly one of 'url', 'urls', 'sentinel' and 'cluster', got none/],
    [{ url: "redis://a", urls: ["redis://b"] }, TypeError, /exactly one/],
    [{ urls: [] }, TypeError, /1 to 1024 Redis URLs/],
    [{ url: "http://user:pw-secret@host" }, TypeError, /got 'http:\/\/…'/],
    [{ urls: ["redis://a", "redis://a"] }, TypeError, /repeated/],
    [{ url: "redis://a", prefix: "a b" }, TypeError, /'prefix'.*got 'a b'/],
    [{ url: "redis://a", commandTimeoutMs: 0 }, RangeError, /'commandTimeoutMs'.*got 0/],
    [{ url: "redis://a", presenceTtlMs: 1000, presenceRefreshMs: 1000 }, RangeError, /below/],
    [{ url: "redis://a", log: "x" }, TypeError, /'log'/],
    [{ url: "redis://a", history: [{ pattern: "a:*", size: -1, ttlMs: 1 }] }, RangeError, /size/],
  ];
  for (const [options, type, message] of cases) {
    await assert.rejects(
      createRedisEngine(options as never),
      (e: Error) => e instanceof type && message.test(e.message) && !e.message.includes("secret"),
      JSON.stringify(options),
    );
  }
});
