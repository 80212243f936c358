import assert from "node:assert/strict";
import type { PresenceEntry } from "../../src/engine/engine.ts";
import { diffPresence, PresenceTable } from "../../src/engine/presence_table.ts";

const alice1 = { connection: "c1", user: "alice" };
const alice2 = { connection: "c2", user: "alice" };
const bob = { connection: "c3", user: "bob", info: { name: "Bob" } };

Deno.test("PresenceTable counts two tabs of one user as two connections and one user", () => {
  const table = new PresenceTable();
  assert.deepEqual(table.add("room:1", alice1), { joins: [alice1], leaves: [] });
  assert.deepEqual(table.add("room:1", alice2), { joins: [alice2], leaves: [] });
  assert.deepEqual(table.stats("room:1"), { connections: 2, users: 1 });
  table.add("room:1", bob);
  assert.deepEqual(table.stats("room:1"), { connections: 3, users: 2 });
  assert.deepEqual(table.list("room:1"), [alice1, alice2, bob]);
  assert.deepEqual(table.remove("room:1", "c1"), { joins: [], leaves: [alice1] });
  assert.deepEqual(table.stats("room:1"), { connections: 2, users: 2 }, "alice still has a tab");
  table.remove("room:1", "c2");
  assert.deepEqual(table.stats("room:1"), { connections: 1, users: 1 });
});

Deno.test("PresenceTable treats a repeated add as a refresh and a changed one as leave and join", () => {
  const table = new PresenceTable();
  table.add("room:1", bob);
  assert.deepEqual(table.add("room:1", { ...bob, info: { name: "Bob" } }), {
    joins: [],
    leaves: [],
  });
  const renamed = { ...bob, info: { name: "Robert" } };
  assert.deepEqual(table.add("room:1", renamed), { joins: [renamed], leaves: [bob] });
  assert.deepEqual(table.stats("room:1"), { connections: 1, users: 1 });
});

Deno.test("PresenceTable forgets an empty topic and ignores unknown removals", () => {
  const table = new PresenceTable();
  assert.deepEqual(table.remove("room:1", "c1"), { joins: [], leaves: [] });
  table.add("room:1", alice1);
  table.add("room:2", alice1);
  assert.equal(table.topics, 2);
  table.remove("room:1", "c1");
  table.remove("room:2", "c1");
  assert.equal(table.topics, 0);
  assert.deepEqual(table.list("room:1"), []);
  assert.deepEqual(table.stats("room:1"), { connections: 0, users: 0 });
});

Deno.test("PresenceTable property: applying the diffs reproduces the table", () => {
  let seed = 3;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const table = new PresenceTable();
  let mirror: PresenceEntry[] = [];
  for (let step = 0; step < 3000; step++) {
    const connection = `c${random(12)}`;
    const diff = random(3) < 2
      ? table.add("t", { connection, user: `u${random(4)}`, info: random(2) })
      : table.remove("t", connection);
    const left = new Set(diff.leaves.map((e) => e.connection));
    mirror = mirror.filter((e) => !left.has(e.connection)).concat(diff.joins);
    const sorted = (list: PresenceEntry[]) =>
      [...list].sort((a, b) => a.connection.localeCompare(b.connection));
    assert.deepEqual(sorted(mirror), sorted(table.list("t")));
    assert.deepEqual(diffPresence(mirror, table.list("t")), { joins: [], leaves: [] });
    assert.equal(table.stats("t").users, new Set(mirror.map((e) => e.user)).size);
  }
});

Deno.test("diffPresence reports joins, leaves and changes by connection", () => {
  const table: [PresenceEntry[], PresenceEntry[], string[], string[]][] = [
    [[], [alice1], ["c1"], []],
    [[alice1], [], [], ["c1"]],
    [[alice1, bob], [bob, alice1], [], []],
    [[bob], [{ ...bob, user: "robert" }], ["c3"], ["c3"]],
    [[alice1], [alice2], ["c2"], ["c1"]],
  ];
  for (const [before, after, joins, leaves] of table) {
    const diff = diffPresence(before, after);
    assert.deepEqual(diff.joins.map((e) => e.connection), joins);
    assert.deepEqual(diff.leaves.map((e) => e.connection), leaves);
  }
});

Deno.test("PresenceTable gives the same answers while a topic grows past one connection and shrinks back", () => {
  const table = new PresenceTable();
  const alice1b = { connection: "c1", user: "alice", info: { tab: 2 } };
  // One connection: kept alone; a refresh is no change, new info a leave and a join.
  table.add("room:1", alice1);
  assert.deepEqual(table.add("room:1", { ...alice1 }), { joins: [], leaves: [] });
  assert.deepEqual(table.add("room:1", alice1b), { joins: [alice1b], leaves: [alice1] });
  assert.deepEqual(table.remove("room:1", "c9"), { joins: [], leaves: [] }, "absent: nothing");
  assert.deepEqual(table.stats("room:1"), { connections: 1, users: 1 });
  // Two, three, then back to one and to none, in join order throughout.
  table.add("room:1", bob);
  table.add("room:1", alice2);
  assert.deepEqual(table.list("room:1"), [alice1b, bob, alice2]);
  assert.deepEqual(table.stats("room:1"), { connections: 3, users: 2 });
  table.remove("room:1", "c1");
  table.remove("room:1", "c2");
  assert.deepEqual(table.list("room:1"), [bob]);
  assert.deepEqual(table.stats("room:1"), { connections: 1, users: 1 });
  table.add("room:1", alice1);
  assert.deepEqual(table.list("room:1"), [bob, alice1]);
  table.remove("room:1", "c3");
  assert.deepEqual(table.remove("room:1", "c1"), { joins: [], leaves: [alice1] });
  assert.equal(table.topics, 0);
  assert.deepEqual(table.list("room:1"), []);
});
