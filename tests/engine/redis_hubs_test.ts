// Several engines on one Redis, as several hub processes would be: each sees
// the others' publications exactly once and in one order, their presence and
// their control commands; a SIGKILLed process's presence goes away in bound.

import assert from "node:assert/strict";
import type { ControlCommand } from "../../src/engine/engine.ts";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { Listen, pub } from "./_redis_listen.ts";

const history = [{ pattern: "chat:**", size: 1000, ttlMs: 60_000 }];
const quiet = { log: () => {} };

Deno.test("createRedisEngine on two hubs delivers every publication exactly once, in one order", async () => {
  await using server = await startRedisServer();
  await using a = await createRedisEngine({ url: server.url, history, ...quiet });
  await using b = await createRedisEngine({ url: server.url, history, ...quiet });
  const listeners = [new Listen(), new Listen(), new Listen(), new Listen()];
  await a.subscribe("chat:room", listeners[0]);
  await b.subscribe("chat:room", listeners[1]);
  await a.subscribe("chat:*", listeners[2]);
  await b.subscribe("chat:**", listeners[3]);
  const sent: Promise<unknown>[] = [];
  for (let i = 0; i < 100; i++) {
    sent.push(a.publish("chat:room", pub(`a${i}`)));
    sent.push(b.publish("chat:room", pub(`b${i}`)));
    if (i % 10 === 0) sent.push(b.publish("chat:room:deep", pub(`deep${i}`)));
  }
  await Promise.all(sent);
  for (const listen of listeners.slice(0, 3)) {
    await listen.until(() => listen.deliveries.length >= 200, "200 deliveries");
  }
  await listeners[3].until(() => listeners[3].deliveries.length >= 210, "210 deliveries");
  const order = listeners[0].deliveries.map((d) => d.offset);
  assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i + 1), "offset order, no gap");
  for (const listen of listeners) {
    const room = listen.deliveries.filter((d) => d.topic === "chat:room");
    assert.deepEqual(
      room.map((d) => d.publication.data),
      listeners[0].datas,
      "same order everywhere",
    );
    assert.equal(listen.lost.length, 0);
  }
  assert.equal(listeners[2].deliveries.length, 200, "chat:* is exact: chat:room:deep excluded");
  assert.equal(listeners[3].deliveries.length, 210, "chat:** includes chat:room:deep, once each");
  const dataA = listeners[0].datas.filter((d) => d.startsWith("a"));
  assert.deepEqual(
    dataA,
    Array.from({ length: 100 }, (_, i) => `a${i}`),
    "each publisher's order kept",
  );
});

Deno.test("createRedisEngine on two hubs shares presence; a clean close removes entries at once", async () => {
  await using server = await startRedisServer();
  const a = await createRedisEngine({ url: server.url, ...quiet });
  try {
    await using b = await createRedisEngine({ url: server.url, ...quiet });
    const watch = new Listen();
    await b.subscribe("room:1", watch);
    await a.presenceAdd("room:1", { connection: "a-1", user: "alice", info: { hub: "a" } });
    await b.presenceAdd("room:1", { connection: "b-1", user: "bob" });
    await a.presenceAdd("room:1", { connection: "a-2", user: "alice" });
    assert.deepEqual(await b.presenceStats("room:1"), { connections: 3, users: 2 });
    assert.deepEqual(
      (await a.presence("room:1")).find((e) => e.connection === "a-1"),
      { connection: "a-1", user: "alice", info: { hub: "a" } },
    );
    await watch.until(() => watch.presenceEvents.length === 3, "three joins");
    await a.close();
    assert.deepEqual(await b.presence("room:1"), [{ connection: "b-1", user: "bob" }]);
    await watch.until(() => watch.presenceEvents.length === 5, "two leaves");
    assert.deepEqual(
      watch.presenceEvents.map((e) => `${e.type} ${e.entry.connection}`).sort(),
      ["join a-1", "join a-2", "join b-1", "leave a-1", "leave a-2"],
    );
  } finally {
    await a.close();
  }
});

Deno.test("createRedisEngine on two hubs delivers control commands to both, once each but a stored revoke", async () => {
  await using server = await startRedisServer();
  await using a = await createRedisEngine({ url: server.url, ...quiet });
  await using b = await createRedisEngine({ url: server.url, ...quiet });
  const got: Record<"a" | "b", ControlCommand[]> = { a: [], b: [] };
  const both = Promise.withResolvers<void>();
  // A revoke is also stored, and handed again when a handler is set: the
  // handler may see it twice (applying it is idempotent), anything else once.
  const distinct = (list: ControlCommand[]) => new Set(list.map((c) => JSON.stringify(c))).size;
  const check = () => distinct(got.a) === 4 && distinct(got.b) === 4 && both.resolve();
  a.onControl((c) => void (got.a.push(c), check()));
  b.onControl((c) => void (got.b.push(c), check()));
  const commands: ControlCommand[] = [
    { type: "send_to_user", user: "alice", event: "ping", data: "1" },
    { type: "disconnect_user", user: "mallory", reason: "Spam" },
    { type: "revoke", user: "mallory", at: 1000 },
    {
      type: "update_rules",
      rules: [{ effect: "allow", actions: ["subscribe"], topics: ["chat:*"] }],
    },
  ];
  await a.control(commands[0]);
  await b.control(commands[1]);
  await a.control(commands[2]);
  await b.control(commands[3]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    both.promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out: ${JSON.stringify(got)}`)), 5000);
    }),
  ]).finally(() => clearTimeout(timer));
  const sort = (list: ControlCommand[]) => [...new Set(list.map((c) => JSON.stringify(c)))].sort();
  for (const list of [got.a, got.b]) {
    assert.equal(list.filter((c) => c.type !== "revoke").length, 3, JSON.stringify(list));
  }
  assert.deepEqual(sort(got.a), sort(commands));
  assert.deepEqual(sort(got.b), sort(commands));
  // Another writer on the control channel cannot crash a hub.
  await server.cli("PUBLISH", "rt:control", '{"s":"x","c":{"type":"reboot"}}');
  await server.cli("PUBLISH", "rt:control", "not json");
  const after = Promise.withResolvers<void>();
  a.onControl((c) => c.type === "send_to_user" && after.resolve());
  await b.control(commands[0]); // arrives after the bad messages: same channel, later
  await Promise.race([
    after.promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("Timed out after the bad messages")), 5000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.equal(
    got.a.filter((c) => c.type !== "revoke").length,
    4,
    "the bad messages were skipped, the good one arrived",
  );
});

Deno.test("createRedisEngine drops a SIGKILLed hub's presence within its TTL and tells the others", async () => {
  await using server = await startRedisServer();
  await using observer = await createRedisEngine({
    url: server.url,
    presenceTtlMs: 1500,
    presenceRefreshMs: 500,
    ...quiet,
  });
  const watch = new Listen();
  await observer.subscribe("room:crash", watch);
  await observer.presenceAdd("room:crash", { connection: "alive", user: "bob" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("./_redis_crash_child.ts", import.meta.url).pathname,
      server.url,
      "room:crash",
      "doomed",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let killedAt = 0;
  try {
    const reader = child.stdout.getReader();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ready = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("Child not ready in 60 s")), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.match(new TextDecoder().decode(ready.value), /ready/);
    reader.releaseLock();
    await watch.until(
      () => watch.presenceEvents.some((e) => e.entry.connection === "doomed"),
      "join",
    );
    assert.equal((await observer.presenceStats("room:crash")).connections, 2);
    child.kill("SIGKILL");
    killedAt = performance.now();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
  await watch.until(
    () => watch.presenceEvents.some((e) => e.type === "leave" && e.entry.connection === "doomed"),
    "leave of the crashed hub's entry",
    1500 + 500 + 2000,
  );
  const goneMs = performance.now() - killedAt;
  assert.deepEqual(await observer.presence("room:crash"), [{ connection: "alive", user: "bob" }]);
  assert.ok(goneMs < 4000, `gone ${goneMs.toFixed(0)} ms after SIGKILL (TTL 1500 ms)`);
});

Deno.test("createRedisEngine stores a revoke: an engine started later, or one that missed it, gets it", async () => {
  await using server = await startRedisServer();
  await using a = await createRedisEngine({ url: server.url, ...quiet });
  const now = Date.now();
  await a.control({ type: "revoke", user: "mallory", at: now, keepMs: 3_600_000 });
  await a.control({ type: "revoke", user: "eve", at: 2000, session: "s1" });
  // Past its keep time when stored: dropped, never handed out.
  await a.control({ type: "revoke", user: "old", at: 1000, keepMs: 1 });
  await using b = await createRedisEngine({ url: server.url, ...quiet });
  const got: ControlCommand[] = [];
  const two = Promise.withResolvers<void>();
  b.onControl((c) => void (got.push(c), got.length === 2 && two.resolve()));
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    two.promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out: ${JSON.stringify(got)}`)), 5000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.deepEqual(
    got.map((c) => JSON.stringify(c)).sort(),
    [
      JSON.stringify({ type: "revoke", user: "eve", at: 2000, session: "s1" }),
      JSON.stringify({ type: "revoke", user: "mallory", at: now }),
    ],
  );
});
