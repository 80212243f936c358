// Listings for the admin API: the bounded top-K of topics agrees with a full
// sort, pages do not overlap, and bad queries are refused.

import assert from "node:assert/strict";
import { listConnections, listTopics } from "../../src/hub/inspect.ts";

/** A deterministic pseudo-random sequence (no flaky seeds). */
function* numbers(seed: number): Generator<number> {
  let x = seed;
  while (true) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    yield x;
  }
}

Deno.test("listTopics keeps the busiest topics as a full sort would, page by page", () => {
  const random = numbers(7);
  for (let round = 0; round < 20; round++) {
    const counts = new Map<string, number>();
    const size = 1 + (random.next().value % 300);
    for (let i = 0; i < size; i++) {
      counts.set(`t:${random.next().value % 1000}`, 1 + (random.next().value % 20));
    }
    const sorted = [...counts].map(([topic, subscribers]) => ({ topic, subscribers }))
      .sort((a, b) => b.subscribers - a.subscribers || (a.topic < b.topic ? -1 : 1));
    const count = (t: string) => counts.get(t) ?? 0;
    for (const [offset, limit] of [[0, 10], [10, 10], [5, 500], [0, 1]]) {
      const page = listTopics(counts.keys(), count, { offset, limit });
      assert.deepEqual(page.topics, sorted.slice(offset, offset + limit), `round ${round}`);
      assert.equal(page.total, counts.size);
    }
  }
});

Deno.test("listConnections pages without overlap, searches id, user and address", () => {
  const conns = Array.from({ length: 25 }, (_, i) => ({
    id: `c${i}`,
    since: i,
    principal: i % 5 === 0 ? undefined : { sub: `user${i}` },
    peer: { remoteAddr: `10.0.0.${i}`, transport: "ws" },
    subscriptionCount: i,
    queuedBytes: 0,
  }));
  const set = new Set(conns);
  const ids = [0, 10, 20].flatMap((offset) =>
    listConnections(set, { offset, limit: 10 }).connections.map((c) => c.id)
  );
  assert.deepEqual(ids, conns.map((c) => c.id));
  assert.equal(listConnections(set, { search: "10.0.0.2" }).matched, 6); // 2, 20-24
  assert.equal(listConnections(set, { search: "USER1" }).matched, 9); // 1, 11-14, 16-19 (10, 15 anonymous)
  const anonymous = listConnections(set, { search: "c5" }).connections[0];
  assert.equal(anonymous.user, null, "a connection still authenticating has no user");
});

Deno.test("listConnections and listTopics refuse bad queries", () => {
  for (const query of [{ limit: 0 }, { limit: 501 }, { offset: -1 }, { offset: 1.5 }]) {
    assert.throws(() => listConnections([], query), RangeError, JSON.stringify(query));
    assert.throws(() => listTopics([], () => 0, query), RangeError, JSON.stringify(query));
  }
  assert.throws(() => listTopics([], () => 0, { search: 3 as unknown as string }), TypeError);
  assert.throws(() => listTopics([], () => 0, { search: "x".repeat(257) }), RangeError);
});
