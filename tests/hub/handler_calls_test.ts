// The handler-call runner on its own, on an injected clock: synchronous
// answers stay synchronous, the abort signal is made only when read and
// still aborts on a close and past the time limit, one deadline serves calls
// started at different times, calls waiting for the hub's place time out
// there, and every call is counted.

import assert from "node:assert/strict";
import { type HandlerCall, HandlerCalls } from "../../src/hub/_handler_calls.ts";
import { createDeadlines } from "../../src/hub/_deadlines.ts";
import { createHubMetrics } from "../../src/hub/metrics.ts";
import type { HandlerLimits } from "../../src/hub/handlers.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { HubError } from "../../src/protocol/errors.ts";
import { ManualClock } from "../_support/manual_clock.ts";

function setup(limits: Partial<HandlerLimits> = {}) {
  const clock = new ManualClock();
  const deadlines = createDeadlines(clock);
  const metrics = createHubMetrics();
  const logs: LogEntry[] = [];
  const calls = new HandlerCalls({
    limits: { timeoutMs: 1000, maxConcurrent: 16, maxConcurrentPerConnection: 4, ...limits },
    clock,
    deadlines,
    metrics,
    log: (entry) => logs.push(entry),
  });
  return {
    clock,
    metrics,
    logs,
    calls,
    [Symbol.dispose]: () => deadlines.close(),
  };
}

/** A handler that never answers, handing out its call. */
function hanging(into: HandlerCall[]) {
  return (call: HandlerCall) => {
    into.push(call);
    return new Promise<never>(() => {});
  };
}

function code(error: unknown): string | undefined {
  return error instanceof HubError ? error.code : undefined;
}

Deno.test("a synchronous answer is returned synchronously, counted and timed", () => {
  using s = setup();
  const slot = s.calls.slotOf({});
  const result = s.calls.invoke("publish", slot, () => ({ payload: 1 }));
  assert.deepEqual(result, { payload: 1 });
  assert.equal(slot.active, 0);
  assert.equal(s.metrics.handlerCalls.get("publish"), 1);
  assert.equal(s.metrics.handlerErrors.get("publish") ?? 0, 0);
  assert.equal(s.metrics.handlerSeconds.count, 1);
  // Nothing is left to expire.
  s.clock.advance(5000);
  assert.equal(s.metrics.handlerErrors.get("publish") ?? 0, 0);
});

Deno.test("a synchronous throw is thrown synchronously: a HubError as is, anything else INTERNAL and logged", () => {
  using s = setup();
  const slot = s.calls.slotOf({});
  assert.throws(
    () =>
      s.calls.invoke("rpc", slot, () => {
        throw new HubError("FORBIDDEN", "Cannot: not yours");
      }),
    (e: unknown) => code(e) === "FORBIDDEN",
  );
  assert.throws(
    () =>
      s.calls.invoke("rpc", slot, () => {
        throw new TypeError("boom");
      }),
    (e: unknown) => code(e) === "INTERNAL" && !(e as Error).message.includes("boom"),
  );
  assert.ok(s.logs.some((e) => e.event === "handler.failed" && e.detail === "boom"));
  assert.equal(s.metrics.handlerErrors.get("rpc"), 2);
  assert.equal(slot.active, 0);
});

Deno.test("call() answers a synchronous handler with a promise", async () => {
  using s = setup();
  const slot = s.calls.slotOf({});
  const answer = s.calls.call("rpc", slot, () => 42);
  assert.ok(answer instanceof Promise);
  assert.equal(await answer, 42);
  await assert.rejects(
    s.calls.call("rpc", slot, () => {
      throw new HubError("FORBIDDEN", "Cannot: no");
    }),
    (e: unknown) => code(e) === "FORBIDDEN",
  );
});

Deno.test("past the time limit: TIMEOUT, and the signal aborts whether read before or after", async () => {
  using s = setup();
  const slot = s.calls.slotOf({});
  const held: HandlerCall[] = [];
  const early = s.calls.invoke("rpc", slot, hanging(held)) as Promise<unknown>;
  const late = s.calls.invoke("rpc", slot, hanging(held)) as Promise<unknown>;
  const signal = held[0].signal;
  let aborts = 0;
  signal.addEventListener("abort", () => aborts++);
  s.clock.advance(999);
  assert.equal(signal.aborted, false);
  assert.equal(slot.active, 2);
  s.clock.advance(1);
  await assert.rejects(early, (e: unknown) => code(e) === "TIMEOUT" && (e as HubError).retry);
  await assert.rejects(late, (e: unknown) => code(e) === "TIMEOUT");
  assert.equal(aborts, 1);
  // Never read while it ran: made already aborted.
  assert.equal(held[1].signal.aborted, true);
  assert.equal(slot.active, 0);
  assert.equal(s.metrics.handlerErrors.get("rpc"), 2);
});

Deno.test("one deadline serves calls started at different times, also after the oldest answered", async () => {
  using s = setup();
  const slot = s.calls.slotOf({});
  const held: HandlerCall[] = [];
  let settled = "";
  const a = (s.calls.invoke("rpc", slot, hanging(held)) as Promise<unknown>).catch(() =>
    settled += "a"
  );
  s.clock.advance(400);
  const b = (s.calls.invoke("rpc", slot, hanging(held)) as Promise<unknown>).catch(() =>
    settled += "b"
  );
  s.clock.advance(600);
  await a;
  assert.equal(settled, "a");
  assert.equal(held[1].signal.aborted, false);
  s.clock.advance(399);
  await Promise.resolve();
  assert.equal(settled, "a");
  s.clock.advance(1);
  await b;
  assert.equal(settled, "ab");

  // The oldest answers early: the next still gets its whole time limit.
  const answered = Promise.withResolvers<string>();
  const c = s.calls.invoke("rpc", slot, () => answered.promise);
  s.clock.advance(500);
  const d = s.calls.invoke("rpc", slot, hanging(held)) as Promise<unknown>;
  answered.resolve("c");
  assert.equal(await c, "c");
  s.clock.advance(999);
  assert.equal(held[2].signal.aborted, false);
  s.clock.advance(1);
  await assert.rejects(d, (e: unknown) => code(e) === "TIMEOUT");
});

Deno.test("a close rejects the connection's calls and aborts their signals, not another's", async () => {
  using s = setup();
  const owner = {};
  const other = {};
  const held: HandlerCall[] = [];
  const read = s.calls.invoke("rpc", s.calls.slotOf(owner), hanging(held)) as Promise<unknown>;
  const unread = s.calls.invoke("rpc", s.calls.slotOf(owner), hanging(held)) as Promise<unknown>;
  const theirs = s.calls.invoke("rpc", s.calls.slotOf(other), hanging(held)) as Promise<unknown>;
  const aborted = new Promise((resolve) => held[0].signal.addEventListener("abort", resolve));
  s.calls.abort(owner);
  await aborted;
  await assert.rejects(read, (e: unknown) => code(e) === "INTERNAL");
  await assert.rejects(unread, (e: unknown) => code(e) === "INTERNAL");
  assert.equal(held[1].signal.aborted, true);
  assert.equal(held[2].signal.aborted, false);
  // Their time limits no longer count: only the other connection's call times out.
  s.clock.advance(1000);
  await assert.rejects(theirs, (e: unknown) => code(e) === "TIMEOUT");
  assert.equal(held[2].signal.aborted, true);
  assert.equal(s.metrics.handlerErrors.get("rpc"), 1);
  // A closed connection's abort is a no-op the second time.
  s.calls.abort(owner);
});

Deno.test("the connection's bound refuses with RATE_LIMITED; a call waiting for the hub's place times out there", async () => {
  using s = setup({ maxConcurrent: 1, maxConcurrentPerConnection: 1 });
  const held: HandlerCall[] = [];
  const answered = Promise.withResolvers<string>();
  const alice = s.calls.slotOf({});
  const first = s.calls.invoke("rpc", alice, () => answered.promise);
  assert.throws(
    () => s.calls.invoke("rpc", alice, () => 1),
    (e: unknown) => code(e) === "RATE_LIMITED" && (e as HubError).retry,
  );
  let ran = false;
  const waiting = s.calls.invoke("rpc", s.calls.slotOf({}), () => {
    ran = true;
    return 1;
  });
  assert.ok(waiting instanceof Promise);
  s.clock.advance(1000);
  await assert.rejects(waiting, (e: unknown) => code(e) === "TIMEOUT");
  await assert.rejects(first as Promise<unknown>, (e: unknown) => code(e) === "TIMEOUT");
  answered.resolve("late");
  await Promise.resolve();
  assert.equal(ran, false);
  // Both places are free again: the next call runs at once.
  assert.equal(s.calls.invoke("rpc", s.calls.slotOf({}), () => "now"), "now");
  const queued = s.calls.invoke("rpc", s.calls.slotOf({}), hanging(held));
  assert.ok(queued instanceof Promise);
  assert.equal(held.length, 1);
});

Deno.test("a call waiting for the hub's place runs when a place frees, in order", async () => {
  using s = setup({ maxConcurrent: 1 });
  const order: string[] = [];
  const answered = Promise.withResolvers<string>();
  const first = s.calls.invoke("rpc", s.calls.slotOf({}), () => answered.promise);
  const second = s.calls.invoke("rpc", s.calls.slotOf({}), () => (order.push("second"), "2"));
  const third = s.calls.invoke("rpc", s.calls.slotOf({}), () => (order.push("third"), "3"));
  assert.deepEqual(order, []);
  answered.resolve("1");
  assert.deepEqual(await Promise.all([first, second, third]), ["1", "2", "3"]);
  assert.deepEqual(order, ["second", "third"]);
});

Deno.test("random calls, answers, closes and time: each settles once and every place comes back", async () => {
  // Deterministic: mulberry32.
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  };
  using s = setup({ maxConcurrent: 3, maxConcurrentPerConnection: 3 });
  const owners = [{}, {}, {}, {}];
  const answers: ((value: string) => void)[] = [];
  const settled = new Map<number, string>();
  let started = 0;
  for (let step = 0; step < 400; step++) {
    const op = random(6);
    const owner = owners[random(owners.length)];
    if (op <= 2) {
      const n = started++;
      try {
        const result = s.calls.invoke("rpc", s.calls.slotOf(owner), (call) => {
          if (op === 0) return "sync";
          if (random(2) === 0) void call.signal;
          const { promise, resolve } = Promise.withResolvers<string>();
          answers.push(resolve);
          return promise;
        });
        if (result instanceof Promise) {
          result.then((v) => {
            assert.ok(!settled.has(n), `call ${n} settled twice`);
            settled.set(n, v);
          }, (e) => {
            assert.ok(!settled.has(n), `call ${n} settled twice`);
            settled.set(n, code(e)!);
          });
        } else settled.set(n, result);
      } catch (e) {
        settled.set(n, code(e)!);
      }
    } else if (op === 3 && answers.length > 0) {
      answers.splice(answers.length - 1 - random(Math.min(3, answers.length)), 1)[0]("async");
    } else if (op === 4) {
      s.clock.advance(random(150));
    } else if (random(8) === 0) {
      s.calls.abort(owner);
    }
    await Promise.resolve();
  }
  s.clock.advance(1000);
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.equal(settled.size, started);
  for (const owner of owners) assert.equal(s.calls.slotOf(owner).active, 0);
  // Every place of the hub is free: three calls run at once, synchronously.
  const fresh = { a: {}, b: {}, c: {} };
  for (const owner of Object.values(fresh)) {
    assert.equal(s.calls.invoke("rpc", s.calls.slotOf(owner), () => "ok"), "ok");
  }
  const held: HandlerCall[] = [];
  for (const owner of Object.values(fresh)) {
    s.calls.invoke("rpc", s.calls.slotOf(owner), hanging(held));
  }
  assert.equal(held.length, 3);
  const outcomes = new Set(settled.values());
  for (const expected of ["sync", "async", "TIMEOUT", "INTERNAL"]) {
    assert.ok(outcomes.has(expected), `no call ended ${expected}: ${[...outcomes]}`);
  }
});
