import assert from "node:assert/strict";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { createNodeAnnouncer, HUB_VERSION, type NodeAnnouncerDeps } from "../../src/hub/nodes.ts";
import { createHub } from "../../mod.ts";
import { ManualClock } from "../../src/testing/manual_clock.ts";

const describe = () => ({
  startedAt: 0,
  uptimeSeconds: 0,
  connections: 1,
  users: 1,
  topics: 0,
  subscriptions: 0,
  messagesInPerSecond: 0,
  messagesOutPerSecond: 0,
  engineOk: true,
});

/** Lets microtasks (the announcements' promises) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("createNodeAnnouncer lists every announcer of one engine; one that stops leaves after ttlMs", async () => {
  const clock = new ManualClock();
  await using engine = createMemoryEngine({ clock });
  let bAlive = true;
  // Hub B's view of the engine: once "killed", its announcements never arrive.
  const dying = {
    announce: (id: string, info: string, ttl: number) =>
      bAlive ? engine.announce!(id, info, ttl) : Promise.resolve(),
    nodes: () => engine.nodes!(),
  } as unknown as Engine;
  const deps = (e: Engine): NodeAnnouncerDeps => ({ engine: e, clock, describe, log() {} });
  const timing = { announceIntervalMs: 1000, ttlMs: 3000 };
  const a = createNodeAnnouncer({ id: "a", ...timing }, deps(engine));
  const b = createNodeAnnouncer({ id: "b", name: "east", ...timing }, deps(dying));
  await settle();
  const both = await a.list();
  assert.equal(both.scope, "cluster");
  assert.deepEqual(both.nodes.map((n) => [n.id, n.name]), [["a", "a"], ["b", "east"]]);
  assert.equal((await b.list()).nodes[0].id, "b", "the answering hub comes first");
  bAlive = false;
  for (let i = 0; i < 3; i++) {
    clock.advance(1000);
    await settle();
  }
  assert.deepEqual((await a.list()).nodes.map((n) => n.id), ["a", "b"], "not before ttlMs");
  clock.advance(1);
  assert.deepEqual((await a.list()).nodes.map((n) => n.id), ["a"]);
  await a.close();
  await b.close();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("createNodeAnnouncer refuses a ttlMs under twice the interval", () => {
  assert.throws(
    () =>
      createNodeAnnouncer({ announceIntervalMs: 1000, ttlMs: 1500 }, {
        engine: undefined,
        clock: new ManualClock(),
        describe,
        log() {},
      }),
    RangeError,
  );
});

Deno.test("hub.nodes on its own in-memory engine lists this hub alone, with its counts", async () => {
  const clock = new ManualClock();
  const hub = createHub({
    auth: { secret: "a-development-secret-of-32-bytes!!" },
    clock,
    log: () => {},
    node: { id: "solo", name: "solo hub" },
  });
  const list = await hub.nodes();
  assert.deepEqual(list.nodes.map((n) => [n.id, n.name, n.connections]), [["solo", "solo hub", 0]]);
  assert.equal(list.self, "solo");
  assert.equal(list.scope, "local");
  assert.equal(hub.nodeId, "solo");
  assert.equal(clock.pendingTimers, 0, "nothing to announce to");
  await hub.close();
});

Deno.test("HUB_VERSION, which nodes announce, equals the package version in deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(HUB_VERSION, config.version);
});
