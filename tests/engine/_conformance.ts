// The engine contract as tests. Every engine (memory today, Redis next)
// registers these with its own factory; they wait on events with a timeout
// instead of assuming delivery is synchronous, so a networked engine passes
// the same tests.

import assert from "node:assert/strict";
import type {
  ControlCommand,
  Delivery,
  Engine,
  EngineListener,
  PresenceEvent,
} from "../../src/engine/engine.ts";
import { EngineError } from "../../src/engine/errors.ts";
import type { HistoryRule } from "../../src/engine/history_policy.ts";

/** How a conformance run creates engines and moves their time. */
export interface ConformanceHarness {
  /** A fresh engine with these history rules and nothing stored. */
  create(options: { history: readonly HistoryRule[] }): Engine | Promise<Engine>;
  /**
   * Moves the engine's clock forward. Without it, the TTL tests are
   * registered as ignored (an engine whose store keeps its own time).
   */
  advance?(ms: number): void | Promise<void>;
  /** Longest wait for a delivery, in milliseconds. @default {2000} */
  timeoutMs?: number;
}

const RULES: readonly HistoryRule[] = [
  { pattern: "short:*", size: 3, ttlMs: 10_000 },
  { pattern: "h:**", size: 1000, ttlMs: 60_000 },
];

const pub = (data: string) => ({ data, from: null, ts: 1 });

/** Records what a listener receives and lets a test wait for it. */
class Recorder implements EngineListener {
  readonly deliveries: Delivery[] = [];
  readonly presenceEvents: PresenceEvent[] = [];
  #waiters: { done: () => boolean; resolve: () => void }[] = [];
  #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  onPublication = (delivery: Delivery): void => {
    this.deliveries.push(delivery);
    this.#check();
  };

  onPresence = (event: PresenceEvent): void => {
    this.presenceEvents.push(event);
    this.#check();
  };

  get datas(): string[] {
    return this.deliveries.map((d) => d.publication.data);
  }

  /** Resolves when `done()` holds; rejects after the timeout. */
  until(done: () => boolean, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`Timed out after ${this.#timeoutMs} ms waiting for ${what}`));
      }, this.#timeoutMs);
      const waiter = {
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.push(waiter);
    });
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.done()) return true;
      w.resolve();
      return false;
    });
  }
}

/**
 * Registers the engine contract's tests, named `<name> <behaviour>`.
 *
 * @param name The engine's name, prefixed to every test.
 * @param harness How to create engines and move their time.
 */
export function engineConformance(name: string, harness: ConformanceHarness): void {
  const timeoutMs = harness.timeoutMs ?? 2000;
  const recorder = () => new Recorder(timeoutMs);
  async function withEngine(fn: (engine: Engine) => Promise<void>): Promise<void> {
    const engine = await harness.create({ history: RULES });
    try {
      await fn(engine);
    } finally {
      await engine.close();
    }
  }
  function test(behaviour: string, fn: (engine: Engine) => Promise<void>, ignore = false) {
    Deno.test({ name: `${name} ${behaviour}`, ignore, fn: () => withEngine(fn) });
  }

  test("gives strictly increasing offsets per topic in one stable epoch", async (engine) => {
    const positions: Record<string, { offset: number; epoch: string }[]> = { a: [], b: [] };
    for (let i = 0; i < 50; i++) {
      for (const t of ["a", "b"] as const) {
        const position = await engine.publish(`h:${t}`, pub(`${t}${i}`));
        assert.ok(position !== undefined, "a topic with history gets a position");
        positions[t].push(position);
      }
    }
    for (const list of Object.values(positions)) {
      assert.deepEqual(list.map((p) => p.offset), Array.from({ length: 50 }, (_, i) => i + 1));
      assert.equal(new Set(list.map((p) => p.epoch)).size, 1, "epoch stable");
    }
    assert.deepEqual(await engine.position("h:a"), positions.a[49]);
  });

  test("gives topics without history no offsets and no position", async (engine) => {
    const rec = recorder();
    await engine.subscribe("plain:a", rec);
    assert.equal(await engine.publish("plain:a", pub("1")), undefined);
    await rec.until(() => rec.deliveries.length === 1, "one delivery");
    assert.equal(rec.deliveries[0].offset, undefined);
    assert.equal(rec.deliveries[0].epoch, undefined);
    for (const read of [engine.position("plain:a"), engine.history("plain:a", { limit: 1 })]) {
      await assert.rejects(read, (e) => e instanceof EngineError && e.code === "NO_HISTORY");
    }
  });

  test("publishes a repeated idempotency key once and answers with the first position", async (engine) => {
    const rec = recorder();
    await engine.subscribe("h:idem", rec);
    const from = (user: string | null, data: string) => ({ data, from: user, ts: 1 });
    let repeats = 0;
    const k1 = { idempotencyKey: "k1", onRepeat: () => void repeats++ };
    const first = await engine.publish("h:idem", from("alice", "1"), k1);
    assert.equal(repeats, 0);
    const repeat = await engine.publish("h:idem", from("alice", "1"), k1);
    assert.deepEqual(repeat, first, "the repeat is answered with the first position");
    assert.equal(repeats, 1, "and said to be a repeat before it resolved");
    // Another publisher's key, another key, another topic: each is its own publication.
    const bob = await engine.publish("h:idem", from("bob", "2"), { idempotencyKey: "k1" });
    const other = await engine.publish("h:idem", from("alice", "3"), { idempotencyKey: "k2" });
    const server = await engine.publish("h:idem", from(null, "4"), { idempotencyKey: "k1" });
    const elsewhere = await engine.publish("h:idem2", from("alice", "5"), { idempotencyKey: "k1" });
    assert.deepEqual([bob?.offset, other?.offset, server?.offset], [2, 3, 4]);
    assert.equal(elsewhere?.offset, 1);
    assert.deepEqual(
      await engine.publish("h:idem", from("bob", "2"), { idempotencyKey: "k1" }),
      bob,
    );
    await rec.until(() => rec.deliveries.length >= 4, "four deliveries");
    const { publications } = await engine.history("h:idem", { limit: 10 });
    assert.deepEqual(publications.map((p) => p.publication.data), ["1", "2", "3", "4"]);
    assert.deepEqual(rec.datas, ["1", "2", "3", "4"], "each delivered once");
  });

  test("publishes a repeated idempotency key once on a topic without history", async (engine) => {
    const rec = recorder();
    await engine.subscribe("plain:idem", rec);
    let repeats = 0;
    const once = { idempotencyKey: "k1", onRepeat: () => void repeats++ };
    const alice = (data: string) => ({ data, from: "alice", ts: 1 });
    assert.equal(await engine.publish("plain:idem", alice("1"), once), undefined);
    assert.equal(repeats, 0);
    assert.equal(await engine.publish("plain:idem", alice("1"), once), undefined);
    assert.equal(repeats, 1);
    await engine.publish("plain:idem", { data: "2", from: "bob", ts: 1 }, once);
    await engine.publish("plain:idem", alice("3"), { idempotencyKey: "k2" });
    await rec.until(() => rec.deliveries.length >= 3, "three deliveries");
    // A marker published last: had the repeat been delivered, it would come before it.
    await engine.publish("plain:idem", alice("end"));
    await rec.until(() => rec.datas.includes("end"), "the marker");
    assert.deepEqual(rec.datas, ["1", "2", "3", "end"]);
  });

  test("returns history exactly as published, by since, limit and direction", async (engine) => {
    const signed = {
      data: '{"n":1,"s":"é\\u0000"}',
      from: "alice",
      ts: 42,
      event: "e",
      extra: "a.b.c",
    };
    const first = await engine.publish("h:x", signed);
    for (let i = 2; i <= 6; i++) await engine.publish("h:x", pub(`${i}`));
    const all = await engine.history("h:x", { limit: 100 });
    assert.deepEqual(all.publications[0], { offset: 1, publication: signed });
    assert.deepEqual(all.position, { offset: 6, epoch: first!.epoch });
    const since = { offset: 3, epoch: first!.epoch };
    const cases: [Parameters<Engine["history"]>[1], number[]][] = [
      [{ limit: 2 }, [1, 2]],
      [{ limit: 2, reverse: true }, [6, 5]],
      [{ limit: 100, since }, [4, 5, 6]],
      [{ limit: 1, since }, [4]],
      [{ limit: 100, since, reverse: true }, [2, 1]],
      [{ limit: 0 }, []],
      [{ limit: 100, since: { offset: 3, epoch: "not-the-epoch" } }, []],
    ];
    for (const [query, offsets] of cases) {
      const result = await engine.history("h:x", query);
      assert.deepEqual(result.publications.map((p) => p.offset), offsets, JSON.stringify(query));
    }
  });

  test("recovers exactly the missed publications or nothing", async (engine) => {
    const seen = (await engine.publish("short:r", pub("1")))!;
    await engine.publish("short:r", pub("2"));
    await engine.publish("short:r", pub("3"));
    const ok = await engine.recover("short:r", seen, 10);
    assert.equal(ok.recovered, true);
    assert.deepEqual(ok.recovered && ok.publications.map((p) => p.publication.data), ["2", "3"]);
    assert.deepEqual(ok.position, { offset: 3, epoch: seen.epoch });

    const none = await engine.recover("short:r", { offset: 3, epoch: seen.epoch }, 10);
    assert.deepEqual(none, { recovered: true, publications: [], position: none.position });

    const cases: [{ offset: number; epoch: string }, number, string][] = [
      [{ offset: 1, epoch: "another" }, 10, "epoch"],
      [{ offset: 1, epoch: seen.epoch }, 1, "cap"],
      [{ offset: 9, epoch: seen.epoch }, 10, "ahead"],
    ];
    for (const [since, cap, reason] of cases) {
      const got = await engine.recover("short:r", since, cap);
      assert.equal(got.recovered, false);
      assert.equal(!got.recovered && got.reason, reason);
      assert.equal("publications" in got, false, "no replay when not recovered");
    }
    await engine.publish("short:r", pub("4")); // size 3: offset 1 leaves, so 2 is the oldest
    await engine.publish("short:r", pub("5")); // offset 2 leaves
    const gap = await engine.recover("short:r", seen, 10);
    assert.equal(!gap.recovered && gap.reason, "gap", "offset 2 is gone: no partial replay");
  });

  test("delivers each publication once, in order, to every local subscription", async (engine) => {
    const one = recorder();
    const two = recorder();
    const pattern = recorder();
    await engine.subscribe("h:order", one);
    await engine.subscribe("h:order", two);
    await engine.subscribe("h:*", pattern);
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      sent.push(engine.publish("h:order", pub(`${i}`)));
      sent.push(engine.publish("h:other", pub(`o${i}`)));
    }
    await Promise.all(sent);
    const expected = Array.from({ length: 200 }, (_, i) => `${i}`);
    for (const rec of [one, two]) {
      await rec.until(() => rec.deliveries.length >= 200, "200 deliveries");
      assert.deepEqual(rec.datas, expected);
      assert.deepEqual(rec.deliveries.map((d) => d.offset), expected.map((_, i) => i + 1));
    }
    await pattern.until(() => pattern.deliveries.length >= 400, "400 deliveries");
    const ofTopic = (t: string) =>
      pattern.deliveries.filter((d) => d.topic === t).map((d) => d.publication.data);
    assert.deepEqual(ofTopic("h:order"), expected);
    assert.equal(ofTopic("h:other").length, 200);
    assert.equal(pattern.deliveries.length, 400, "exactly once");
  });

  test("keeps per-topic order when a listener publishes while called", async (engine) => {
    const later = recorder();
    const echo: EngineListener = {
      onPublication(d) {
        if (d.publication.data === "first") void engine.publish("h:echo", pub("second"));
      },
    };
    await engine.subscribe("h:echo", echo);
    await engine.subscribe("h:echo", later);
    await engine.publish("h:echo", pub("first"));
    await later.until(() => later.deliveries.length === 2, "two deliveries");
    assert.deepEqual(later.datas, ["first", "second"]);
    assert.deepEqual(later.deliveries.map((d) => d.offset), [1, 2]);
  });

  test("stops delivery after unsubscribe", async (engine) => {
    const gone = recorder();
    const stays = recorder();
    const subscription = await engine.subscribe("h:u", gone);
    await engine.subscribe("h:u", stays);
    await engine.publish("h:u", pub("1"));
    await gone.until(() => gone.deliveries.length === 1, "first delivery");
    await subscription.unsubscribe();
    await subscription.unsubscribe(); // idempotent
    await engine.publish("h:u", pub("2"));
    await stays.until(() => stays.deliveries.length === 2, "second delivery to the other");
    assert.deepEqual(gone.datas, ["1"]);
  });

  test("counts presence by connection and user and delivers joins and leaves", async (engine) => {
    const rec = recorder();
    await engine.subscribe("room:1", rec);
    await engine.presenceAdd("room:1", { connection: "c1", user: "alice", info: { tab: 1 } });
    await engine.presenceAdd("room:1", { connection: "c2", user: "alice", info: { tab: 2 } });
    await engine.presenceAdd("room:1", { connection: "c3", user: "bob" });
    await engine.presenceAdd("room:1", { connection: "c3", user: "bob" }); // a refresh
    assert.deepEqual(await engine.presenceStats("room:1"), { connections: 3, users: 2 });
    const list = await engine.presence("room:1");
    assert.deepEqual(list.map((e) => e.connection).sort(), ["c1", "c2", "c3"]);
    assert.deepEqual(list.find((e) => e.connection === "c2")?.info, { tab: 2 });
    await engine.presenceRemove("room:1", "c1");
    await engine.presenceRemove("room:1", "c1"); // absent: nothing
    assert.deepEqual(await engine.presenceStats("room:1"), { connections: 2, users: 2 });
    await rec.until(() => rec.presenceEvents.length >= 4, "4 presence events");
    assert.deepEqual(
      rec.presenceEvents.map((e) => `${e.type} ${e.entry.connection} ${e.entry.user}`),
      ["join c1 alice", "join c2 alice", "join c3 bob", "leave c1 alice"],
    );
    await engine.presenceRemove("room:1", "c2");
    await engine.presenceRemove("room:1", "c3");
    assert.deepEqual(await engine.presenceStats("room:1"), { connections: 0, users: 0 });
    assert.deepEqual(await engine.presence("room:1"), []);
  });

  test("delivers control commands to every handler until removed", async (engine) => {
    const got: ControlCommand[] = [];
    const all = Promise.withResolvers<void>();
    let removedGot = 0;
    engine.onControl((c) => {
      got.push(c);
      if (got.length === 5) all.resolve();
    });
    const remove = engine.onControl(() => void removedGot++);
    const commands: ControlCommand[] = [
      { type: "send_to_user", user: "alice", event: "ping", data: "1" },
      { type: "broadcast_users", users: ["alice", "bob"], data: '"hi"' },
      { type: "disconnect_user", user: "mallory", reason: "Spam" },
      { type: "revoke", user: "mallory", at: 1000 },
      {
        type: "update_rules",
        rules: [{ effect: "allow", actions: ["subscribe"], topics: ["chat:*"] }],
      },
    ];
    await engine.control(commands[0]);
    remove();
    for (const command of commands.slice(1)) await engine.control(command);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Timed out with ${got.length} commands`)),
        timeoutMs,
      );
    });
    await Promise.race([all.promise, timeout]).finally(() => clearTimeout(timer));
    assert.deepEqual(got, commands);
    assert.equal(removedGot, 1);
    await assert.rejects(engine.control({ type: "reboot" } as never), /unknown type 'reboot'/);
  });

  test("rejects bad input clearly and changes nothing", async (engine) => {
    const before = await engine.publish("h:bad", pub("1"));
    const bad: [Promise<unknown>, ErrorConstructor, RegExp][] = [
      [engine.publish("h:*", pub("x")), TypeError, /Invalid topic 'h:\*'/],
      [engine.publish("h::x", pub("x")), TypeError, /segment 2 is empty/],
      [engine.publish("h:bad", { data: 1 } as never), TypeError, /'data' must be a JSON string/],
      [
        engine.publish("h:bad", pub("x"), { idempotencyKey: "has space" }),
        TypeError,
        /'idempotencyKey'/,
      ],
      [engine.history("h:bad", { limit: -1 }), RangeError, /'limit'.*got -1/],
      [engine.history("h:bad", { limit: 1.5 }), RangeError, /got 1.5/],
      [engine.history("h:*", { limit: 1 }), TypeError, /Invalid topic/],
      [
        engine.history("h:bad", { limit: 1, since: { offset: -1, epoch: "e" } }),
        RangeError,
        /'since.offset'.*got -1/,
      ],
      [engine.recover("h:bad", { offset: 0 } as never, 1), TypeError, /'since.epoch'/],
      [engine.recover("h:bad", before!, -1), RangeError, /'maxRecover'/],
      [engine.subscribe("h:x*", recorder()), TypeError, /Invalid pattern/],
      [engine.presenceAdd("room:*", { connection: "c", user: "u" }), TypeError, /Invalid topic/],
      [engine.presenceAdd("room:1", { connection: "", user: "u" }), TypeError, /'connection'/],
    ];
    for (const [promise, type, message] of bad) {
      await assert.rejects(promise, (e: Error) => e instanceof type && message.test(e.message));
    }
    assert.deepEqual(await engine.position("h:bad"), before);
    assert.deepEqual(await engine.presenceStats("room:1"), { connections: 0, users: 0 });
  });

  test("expires history after its TTL and starts a new epoch once idle", async (engine) => {
    const first = (await engine.publish("short:t", pub("1")))!;
    await harness.advance!(6000);
    await engine.publish("short:t", pub("2"));
    await harness.advance!(4000); // "1" is 10 s old: gone
    const { publications } = await engine.history("short:t", { limit: 10 });
    assert.deepEqual(publications.map((p) => p.publication.data), ["2"]);
    const recovery = await engine.recover("short:t", { offset: 0, epoch: first.epoch }, 10);
    assert.equal(recovery.recovered, false, "expired offset 1 is a gap");
    await harness.advance!(10_000); // "2" gone and the topic idle for its TTL
    const next = (await engine.publish("short:t", pub("3")))!;
    assert.equal(next.offset, 1);
    assert.notEqual(next.epoch, first.epoch, "history was lost: a new epoch");
    const stale = await engine.recover("short:t", { offset: 2, epoch: first.epoch }, 10);
    assert.equal(!stale.recovered && stale.reason, "epoch");
  }, harness.advance === undefined);

  test("releases everything on close and refuses calls after it", async (engine) => {
    const rec = recorder();
    await engine.subscribe("h:c", rec);
    let controls = 0;
    engine.onControl(() => void controls++);
    await engine.close();
    await engine.close(); // idempotent
    const calls: Promise<unknown>[] = [
      engine.publish("h:c", pub("1")),
      engine.subscribe("h:c", rec),
      engine.position("h:c"),
      engine.history("h:c", { limit: 1 }),
      engine.recover("h:c", { offset: 0, epoch: "e" }, 1),
      engine.presenceAdd("h:c", { connection: "c", user: "u" }),
      engine.presenceRemove("h:c", "c"),
      engine.presence("h:c"),
      engine.presenceStats("h:c"),
      engine.control({ type: "disconnect_user", user: "u", reason: "r" }),
    ];
    for (const call of calls) {
      await assert.rejects(call, (e) => e instanceof EngineError && e.code === "ENGINE_CLOSED");
    }
    assert.equal(rec.deliveries.length, 0);
    assert.equal(controls, 0);
  });
}
