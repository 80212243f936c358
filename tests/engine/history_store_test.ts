import assert from "node:assert/strict";
import type { EnginePublication } from "../../src/engine/engine.ts";
import type { HistoryRule } from "../../src/engine/history_policy.ts";
import { HistoryStore } from "../../src/engine/history_store.ts";
import { publicationBytes, TopicStream } from "../../src/engine/topic_stream.ts";

function setup(maxBytes?: number) {
  let now = 1_000_000;
  let epochs = 0;
  const store = new HistoryStore({ now: () => now, newEpoch: () => `e${++epochs}`, maxBytes });
  return {
    store,
    advance: (ms: number) => void (now += ms),
  };
}

const pub = (data: string): EnginePublication => ({ data, from: null, ts: 0 });
/** What the store counts for a topic besides its publications. */
const topicBytes = (topic: string, epoch: string) =>
  new TopicStream(topic, epoch, rule(1), 0).bytes;
const rule = (size: number, ttlMs = 60_000): HistoryRule => ({ pattern: "**", size, ttlMs });
const datas = (entries: readonly { publication: EnginePublication }[]) =>
  entries.map((e) => e.publication.data);

Deno.test("HistoryStore keeps the newest `size` publications per topic", () => {
  const { store } = setup();
  const r = rule(3);
  for (let i = 1; i <= 5; i++) {
    assert.deepEqual(store.append("t:a", r, pub(`${i}`)), { offset: i, epoch: "e1" });
  }
  assert.deepEqual(datas(store.history("t:a", r, { limit: 10 }).publications), ["3", "4", "5"]);
  assert.equal(store.stats.entries, 3);
});

Deno.test("HistoryStore answers since, limit and reverse by table", () => {
  const { store } = setup();
  const r = rule(5);
  for (let i = 1; i <= 8; i++) store.append("t:a", r, pub(`${i}`)); // holds 4..8
  const e = "e1";
  const table: [Parameters<HistoryStore["history"]>[2], string[]][] = [
    [{ limit: 10 }, ["4", "5", "6", "7", "8"]],
    [{ limit: 2 }, ["4", "5"]],
    [{ limit: 2, reverse: true }, ["8", "7"]],
    [{ limit: 0 }, []],
    [{ limit: 10, since: { offset: 6, epoch: e } }, ["7", "8"]],
    [{ limit: 1, since: { offset: 6, epoch: e } }, ["7"]],
    [{ limit: 10, since: { offset: 8, epoch: e } }, []],
    [{ limit: 10, since: { offset: 1, epoch: e } }, ["4", "5", "6", "7", "8"]],
    [{ limit: 10, since: { offset: 6, epoch: e }, reverse: true }, ["5", "4"]],
    [{ limit: 1, since: { offset: 6, epoch: e }, reverse: true }, ["5"]],
    [{ limit: 10, since: { offset: 99, epoch: e }, reverse: true }, ["8", "7", "6", "5", "4"]],
    [{ limit: 10, since: { offset: 4, epoch: e }, reverse: true }, []],
    [{ limit: 10, since: { offset: 6, epoch: "other" } }, []],
  ];
  for (const [query, expected] of table) {
    const result = store.history("t:a", r, query);
    assert.deepEqual(datas(result.publications), expected, JSON.stringify(query));
    assert.deepEqual(result.position, { offset: 8, epoch: e });
  }
  const [first] = store.history("t:a", r, { limit: 1 }).publications;
  assert.deepEqual(Object.keys(first).sort(), ["offset", "publication"], "no internals leak");
});

Deno.test("HistoryStore expires publications after their TTL and forgets an idle topic", () => {
  const { store, advance } = setup();
  const r = rule(100, 1000);
  store.append("t:a", r, pub("old"));
  advance(600);
  store.append("t:a", r, pub("new"));
  advance(400); // "old" is 1000 ms old: expired
  assert.deepEqual(datas(store.history("t:a", r, { limit: 10 }).publications), ["new"]);
  const recovery = store.recover("t:a", r, { offset: 0, epoch: "e1" }, 100);
  assert.equal(recovery.recovered, false, "offset 1 expired: a gap, not a partial replay");
  advance(1000); // "new" expired and the topic idle for its TTL
  store.sweep();
  assert.deepEqual(store.stats, { topics: 0, entries: 0, bytes: 0 });
  assert.deepEqual(store.append("t:a", r, pub("again")), { offset: 1, epoch: "e2" });
});

Deno.test("HistoryStore keeps an idle topic's position while it is read", () => {
  const { store, advance } = setup();
  const r = rule(10, 1000);
  assert.deepEqual(store.position("t:a", r), { offset: 0, epoch: "e1" });
  advance(999);
  store.sweep();
  assert.deepEqual(store.position("t:a", r), { offset: 0, epoch: "e1" }, "touched: kept");
  advance(1000);
  assert.deepEqual(store.position("t:a", r), { offset: 0, epoch: "e2" }, "idle: forgotten");
});

Deno.test("HistoryStore evicts the oldest publications across topics to fit its budget", () => {
  const one = publicationBytes(pub("x"));
  const topics = topicBytes("t:a", "e1") + topicBytes("t:b", "e2");
  const { store } = setup(topics + 3 * one);
  const r = rule(100);
  store.append("t:a", r, pub("1"));
  store.append("t:b", r, pub("2"));
  store.append("t:a", r, pub("3"));
  store.append("t:b", r, pub("4")); // over budget by one entry: "1" goes
  assert.deepEqual(datas(store.history("t:a", r, { limit: 10 }).publications), ["3"]);
  assert.deepEqual(datas(store.history("t:b", r, { limit: 10 }).publications), ["2", "4"]);
  assert.equal(store.stats.bytes, topics + 3 * one);
  const recovery = store.recover("t:a", r, { offset: 0, epoch: "e1" }, 100);
  assert.equal(recovery.recovered, false, "evicted offset 1 makes a gap");
});

Deno.test("HistoryStore property: matches a plain model and stays within its budget", () => {
  let seed = 11;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let run = 0; run < 30; run++) {
    const maxBytes = 2000 + random(4000);
    const { store, advance } = setup(maxBytes);
    const r = rule(1 + random(8), 50 + random(200));
    const model = new Map<string, { offset: number; epoch: string }>();
    for (let step = 0; step < 300; step++) {
      const topic = `t:${random(4)}`;
      const op = random(12);
      if (op < 7) {
        const position = store.append(topic, r, pub("x".repeat(random(40))));
        const m = model.get(topic);
        if (m !== undefined && m.epoch === position.epoch) {
          assert.equal(position.offset, m.offset + 1, "offsets increase by one in an epoch");
        } else assert.equal(position.offset, 1, "a new epoch starts at 1");
        model.set(topic, position);
      } else if (op < 9) advance(random(60));
      else if (op < 10) store.sweep();
      else store.position(`t:idle${random(30)}`, r);
      assert.ok(store.stats.bytes <= maxBytes, `bytes ${store.stats.bytes} within ${maxBytes}`);
      const { publications, position } = store.history(topic, r, { limit: 100 });
      assert.ok(publications.length <= r.size);
      publications.forEach((p, i) => {
        assert.equal(
          p.offset,
          position.offset - publications.length + 1 + i,
          "contiguous, newest kept",
        );
      });
    }
  }
});

Deno.test("HistoryStore stays within its budget when many unknown topics are only read", () => {
  const { store } = setup(2000);
  const r = rule(10);
  for (let i = 0; i < 100; i++) {
    store.recover(`t:${i}`, r, { offset: 0, epoch: "x" }, 10);
    assert.ok(store.stats.bytes <= 2000, `bytes ${store.stats.bytes} after ${i + 1} topics`);
  }
  assert.ok(store.stats.topics < 100, "positions of empty topics were forgotten");
});

Deno.test("HistoryStore forgets empty topics before evicting anyone's publications", () => {
  const one = publicationBytes(pub("x"));
  // Room for the kept topic and three read ones (names of 6 units, epochs of 2 or 3).
  const budget = topicBytes("t:keep", "e1") + 3 * topicBytes("t:r000", "e10") + 5 * one;
  const { store } = setup(budget);
  const r = rule(10);
  for (let i = 0; i < 5; i++) store.append("t:keep", r, pub("x"));
  for (let i = 0; i < 100; i++) store.position(`t:r${String(i).padStart(2, "0")}`, r);
  assert.equal(store.history("t:keep", r, { limit: 10 }).publications.length, 5);
  assert.ok(store.stats.bytes <= budget);
});
