import assert from "node:assert/strict";
import type { Delivery } from "../../src/engine/engine.ts";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { engineConformance } from "./_conformance.ts";

let clock = new ManualClock();
engineConformance("createMemoryEngine", {
  create({ history }) {
    clock = new ManualClock();
    return createMemoryEngine({ history, clock });
  },
  advance: (ms) => clock.advance(ms),
});

const rules = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];
const pub = (data: string) => ({ data, from: null, ts: 0 });

Deno.test("createMemoryEngine gives a restarted process new epochs, so nothing falsely recovers", async () => {
  const before = createMemoryEngine({ history: rules });
  const seen = (await before.publish("chat:a", pub("1")))!;
  await before.close();
  await using after = createMemoryEngine({ history: rules });
  await after.publish("chat:a", pub("1"));
  await after.publish("chat:a", pub("2"));
  const recovery = await after.recover("chat:a", seen, 100);
  assert.equal(recovery.recovered, false);
  assert.equal(!recovery.recovered && recovery.reason, "epoch");
});

Deno.test("createMemoryEngine keeps delivering when a listener throws", async () => {
  const errors: unknown[] = [];
  await using engine = createMemoryEngine({ onListenerError: (e) => void errors.push(e) });
  const got: string[] = [];
  await engine.subscribe("chat:a", {
    onPublication() {
      throw new Error("Listener bug");
    },
  });
  await engine.subscribe("chat:a", { onPublication: (d) => void got.push(d.publication.data) });
  await engine.publish("chat:a", pub("1"));
  assert.deepEqual(got, ["1"]);
  assert.equal((errors[0] as Error).message, "Listener bug");
});

Deno.test("createMemoryEngine does not hand a publication to a subscription made while it is delivered", async () => {
  await using engine = createMemoryEngine({ history: rules });
  const late: Delivery[] = [];
  let subscribed = false;
  await engine.subscribe("chat:a", {
    onPublication() {
      if (subscribed) return;
      subscribed = true;
      void engine.subscribe("chat:a", { onPublication: (d) => void late.push(d) });
    },
  });
  await engine.publish("chat:a", pub("1"));
  await engine.publish("chat:a", pub("2"));
  assert.deepEqual(late.map((d) => d.offset), [2], "only what was published after it");
});

Deno.test("createMemoryEngine holds history within its byte budget across many topics", async () => {
  await using engine = createMemoryEngine({ history: rules, maxHistoryBytes: 200_000 });
  const data = JSON.stringify("x".repeat(1000)); // about 2 KB stored
  for (let i = 0; i < 2000; i++) await engine.publish(`chat:${i % 50}`, pub(data));
  let held = 0;
  for (let t = 0; t < 50; t++) {
    held += (await engine.history(`chat:${t}`, { limit: 1000 })).publications.length;
  }
  assert.ok(held > 0 && held < 100, `about 200 KB / 2 KB publications held, got ${held}`);
  const newest = await engine.history("chat:49", { limit: 1, reverse: true });
  assert.equal(newest.publications[0].offset, 40, "the newest survive, the oldest went first");
});

Deno.test("createMemoryEngine sweeps idle topics on its clock and stops its timer on close", async () => {
  const clock = new ManualClock();
  const engine = createMemoryEngine({ history: rules, clock, sweepIntervalMs: 500 });
  assert.equal(clock.pendingTimers, 1);
  clock.advance(5000);
  assert.equal(clock.pendingTimers, 1, "re-armed after each sweep");
  await engine.close();
  assert.equal(clock.pendingTimers, 0);
  await using plain = createMemoryEngine();
  assert.equal(await plain.publish("chat:a", pub("1")), undefined);
});

Deno.test("createMemoryEngine on the system clock leaves no timer behind", async () => {
  const engine = createMemoryEngine({ history: rules });
  await engine.publish("chat:a", pub("1"));
  await engine.close(); // the test's op sanitizer fails on a leaked timer
});

Deno.test("createMemoryEngine rejects bad options with the value seen", () => {
  assert.throws(() => createMemoryEngine({ sweepIntervalMs: 0 }), /got 0/);
  assert.throws(() => createMemoryEngine({ maxHistoryBytes: -5 }), /'maxHistoryBytes'.*got -5/);
  assert.throws(() => createMemoryEngine({ generateId: "x" as never }), TypeError);
  assert.throws(
    () => createMemoryEngine({ history: [{ pattern: "chat:*", size: -1, ttlMs: 1 }] }),
    RangeError,
  );
});

Deno.test("createMemoryEngine observe delivers every concrete topic's publications and presence until stopped", async () => {
  await using engine = createMemoryEngine();
  const seen: string[] = [];
  assert.throws(() => engine.observe!({} as never), TypeError);
  const stop = engine.observe!({
    onPublication: (d) => void seen.push(`${d.topic} ${d.publication.data}`),
    onPresence: (e) => void seen.push(`${e.topic} ${e.type} ${e.entry.user}`),
  });
  await engine.publish("chat:a", { data: "1", from: null, ts: 0 });
  await engine.publish("news:b", { data: "2", from: null, ts: 0 });
  await engine.presenceAdd("chat:a", { connection: "c1", user: "alice" });
  stop();
  await engine.publish("chat:a", { data: "3", from: null, ts: 0 });
  assert.deepEqual(seen, ["chat:a 1", "news:b 2", "chat:a join alice"]);
});
