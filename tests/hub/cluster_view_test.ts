// hub.cluster over two hubs sharing one in-memory engine (a cluster in one
// process): answers from both, a question for one hub answered by it alone,
// and questions through the engine that are malformed answered by nobody,
// crashing nothing.

import assert from "node:assert/strict";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";
import type { ControlCommand } from "../../src/engine/engine.ts";
import { createHub } from "../../mod.ts";
import { ManualClock } from "../../src/testing/manual_clock.ts";

const SECRET = "a-development-secret-of-32-bytes!!";

/** Lets microtasks (announcements, answers) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function twoHubs() {
  const clock = new ManualClock();
  const engine = createMemoryEngine({ clock });
  const make = (id: string) =>
    createHub({ auth: { secret: SECRET }, clock, engine, log: () => {}, node: { id } });
  const a = make("a");
  const b = make("b");
  await settle();
  const answers: ControlCommand[] = [];
  engine.onControl((command) => {
    if (command.type === "answer") answers.push(command);
  });
  return {
    a,
    b,
    engine,
    answers,
    async [Symbol.asyncDispose]() {
      await a.close();
      await b.close();
      await engine.close();
    },
  };
}

Deno.test("hub.cluster on a shared engine answers from every hub, labelled cluster", async () => {
  await using t = await twoHubs();
  const status = await t.a.cluster.userStatus("nobody");
  assert.deepEqual([status.scope, status.self, Object.keys(status.nodes).sort(), status.missing], [
    "cluster",
    "a",
    ["a", "b"],
    [],
  ]);
  const stats = await t.b.cluster.stats();
  assert.deepEqual(Object.keys(stats.nodes).sort(), ["a", "b"]);
  const one = await t.a.cluster.listConnections({}, "b");
  assert.deepEqual(Object.keys(one.nodes), ["b"], "a question for hub b is answered by b alone");
});

Deno.test("hub.cluster answers no malformed question from the engine, and keeps working", async () => {
  await using t = await twoHubs();
  const ask = { id: "q1", from: "elsewhere" };
  const bad: ControlCommand[] = [
    { type: "query", ask, query: { kind: "connections", limit: -5 } },
    { type: "query", ask, query: { kind: "no such question" } },
    { type: "query", ask, query: { kind: "user_status", user: 7 } },
    { type: "query", ask, query: { kind: "topic", topic: "not a topic!" } },
    { type: "query", ask: { id: "q2", from: "elsewhere", to: "nobody" }, query: { kind: "stats" } },
    { type: "answer", ask: { id: "q3", from: "a" }, node: "b", body: 1 },
  ];
  for (const command of bad) await t.engine.control(command);
  await settle();
  assert.deepEqual(t.answers.filter((c) => (c as { ask: { from: string } }).ask.from !== "a"), []);
  const good = await t.a.cluster.subscriberCount("chat:a");
  assert.deepEqual(good.nodes, { a: 0, b: 0 });
});
