// The parts RealtimeClient is composed of, each on its own: subscription,
// publish queue, heartbeat, token manager and reconnect schedule. Time is a
// manual clock.

import assert from "node:assert/strict";
import { Subscription } from "../../src/client/subscription.ts";
import { PublishQueue } from "../../src/client/_publish_queue.ts";
import { Heartbeat } from "../../src/client/_heartbeat.ts";
import { TokenManager } from "../../src/client/_token_manager.ts";
import { ReconnectSchedule } from "../../src/client/_reconnect.ts";
import { RealtimeError } from "../../src/client/errors.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { ManualClock } from "../_support/manual_clock.ts";

const message = (topic: string, payload: unknown) => ({ topic, payload, from: "bob", ts: 1 });

Deno.test("Subscription matches its topic or pattern and nothing else", () => {
  const table: [string, string, boolean][] = [
    ["chat:lobby", "chat:lobby", true],
    ["chat:lobby", "chat:other", false],
    ["chat:*", "chat:lobby", true],
    ["chat:*", "chat:lobby:x", false],
    ["org:**", "org:acme:eng", true],
    ["org:**", "orgs:acme", false],
  ];
  for (const [pattern, topic, expected] of table) {
    assert.equal(new Subscription(pattern).matches(topic), expected, `${pattern} ${topic}`);
  }
  assert.throws(() => new Subscription("chat::x"), TypeError);
  assert.throws(() => new Subscription("chat:a").add(7 as never, {}), TypeError);
});

Deno.test("Subscription settles ready on confirm, fail and close, and reports to onError", async () => {
  const sub = new Subscription("chat:*");
  const errors: string[] = [];
  const first = sub.add(() => {}, { onError: (e) => errors.push(e.code) });
  sub.confirm();
  await first.ready;
  // A handler added once confirmed is ready at once.
  await sub.add(() => {}, {}).ready;
  sub.unconfirm();
  assert.equal(sub.confirmed, false);

  const refused = new Subscription("admin:*");
  const handle = refused.add(() => {}, { onError: (e) => errors.push(e.code) });
  refused.fail(new RealtimeError("FORBIDDEN", "no"));
  await assert.rejects(handle.ready, { code: "FORBIDDEN" });
  assert.deepEqual(errors, ["FORBIDDEN"]);

  const closed = new Subscription("news:a");
  const waiting = closed.add(() => {}, {});
  closed.close(new RealtimeError("CLOSED", "closed"));
  await assert.rejects(waiting.ready, { code: "CLOSED" });
});

Deno.test("Subscription delivers to every handler even when one throws", () => {
  const sub = new Subscription("chat:*");
  const seen: unknown[] = [];
  const reported: unknown[] = [];
  const original = globalThis.reportError;
  globalThis.reportError = (error) => reported.push(error);
  try {
    sub.add(() => {
      throw new Error("handler bug");
    }, {});
    const second = sub.add((msg) => seen.push(msg.payload), {});
    sub.deliver(message("chat:a", 1));
    assert.deepEqual(seen, [1]);
    assert.equal(reported.length, 1);
    assert.equal(second.remove(), false); // the throwing handler is still there
    assert.deepEqual(sub.frame(), { type: "subscribe", topic: "chat:*" });
  } finally {
    globalThis.reportError = original;
  }
});

Deno.test("PublishQueue keeps order, honours its bound and empties on take", () => {
  const queue = new PublishQueue(2);
  queue.add(1, "a");
  assert.equal(queue.full, false);
  queue.add(2, "b");
  assert.equal(queue.full, true);
  queue.delete(1);
  queue.add(3, "c");
  assert.deepEqual(queue.take(), [[2, "b"], [3, "c"]]);
  assert.deepEqual(queue.take(), [], "empty once taken");
});

Deno.test("Heartbeat pings every interval, re-arms on answers, reports a missed one", async () => {
  const clock = new ManualClock();
  const answers: PromiseWithResolvers<void>[] = [];
  let missed = 0;
  const heartbeat = new Heartbeat(clock, 1000, () => {
    const answer = Promise.withResolvers<void>();
    answers.push(answer);
    return answer.promise;
  }, () => missed++);
  heartbeat.start();
  clock.advance(999);
  assert.equal(answers.length, 0);
  clock.advance(1);
  assert.equal(answers.length, 1);
  answers[0].resolve();
  await answers[0].promise;
  await Promise.resolve();
  clock.advance(1000);
  assert.equal(answers.length, 2);
  answers[1].reject(new RealtimeError("TIMEOUT", "late"));
  await answers[1].promise.catch(() => {});
  await Promise.resolve();
  assert.equal(missed, 1);
  // Stopped: no timer left, and a late answer re-arms nothing.
  heartbeat.start();
  heartbeat.stop();
  assert.equal(clock.pendingTimers, 0);
  new Heartbeat(clock, 0, () => Promise.resolve(), () => {}).start();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("TokenManager reuses a live token and fetches one when stale or expired", async () => {
  const clock = new ManualClock(Date.now());
  const secret = "a-development-secret-of-32-bytes!!";
  const live = await mintToken({ sub: "ana" }, { secret }, { ttl: "1h" });
  const fresh = await mintToken({ sub: "ana" }, { secret }, { ttl: "2h" });
  let calls = 0;
  const tokens = new TokenManager({
    token: live,
    getToken: () => {
      calls++;
      return fresh;
    },
    clock,
  });
  assert.equal(await tokens.forConnect(), live);
  tokens.markStale();
  assert.equal(await tokens.forConnect(), fresh);
  assert.equal(calls, 1);
  // The current token expired: fetch another, which must not be expired too.
  clock.advance(3 * 3600_000);
  await assert.rejects(tokens.forConnect(), { code: "TOKEN_EXPIRED" });
  assert.equal(calls, 2);
  const other = new TokenManager({
    token: live,
    getToken: () => fresh,
    clock: new ManualClock(clock.now() - 1.5 * 3600_000),
  });
  assert.equal(await other.forConnect(), fresh);

  const without = new TokenManager({ token: live, getToken: undefined, clock });
  await assert.rejects(without.forConnect(), { code: "TOKEN_EXPIRED" });
  assert.equal(without.beginRefresh(), false);
});

Deno.test("TokenManager turns getToken failures into AUTH_FAILED without quoting tokens", async () => {
  const clock = new ManualClock(Date.now());
  const table: [() => string | Promise<string>, RegExp][] = [
    [() => {
      throw new Error("backend down");
    }, /getToken\(\) failed/],
    [() => "", /an empty string/],
    [() => 42 as unknown as string, /number, not a token/],
  ];
  for (const [getToken, message] of table) {
    const tokens = new TokenManager({ token: undefined, getToken, clock });
    await assert.rejects(tokens.forConnect(), (error: RealtimeError) => {
      assert.equal(error.code, "AUTH_FAILED");
      assert.match(error.message, message);
      return true;
    });
  }
  const once = new TokenManager({ token: undefined, getToken: () => "t", clock });
  assert.equal(once.beginRefresh(), true);
  assert.equal(once.beginRefresh(), false);
  once.endRefresh("t");
  assert.equal(once.beginRefresh(), true);
});

Deno.test("ReconnectSchedule counts failures, backs off, resets and cancels", () => {
  const clock = new ManualClock();
  const schedule = new ReconnectSchedule({
    clock,
    backoff: { baseMs: 100, maxMs: 1000 },
    random: () => 0.5,
    maxReconnectAttempts: 3,
    urls: [new URL("ws://a.test/ws")],
  });
  let connects = 0;
  const delays = [0, 1, 2].map(() => {
    const { retryInMs } = schedule.schedule(() => connects++);
    clock.advance(retryInMs);
    return retryInMs;
  });
  assert.deepEqual(delays, [50, 100, 200]);
  assert.equal(connects, 3);
  assert.equal(schedule.exhausted, true);
  schedule.reset();
  assert.deepEqual(schedule.schedule(() => connects++, 0), {
    attempt: 0,
    retryInMs: 0,
    url: new URL("ws://a.test/ws"),
  });
  schedule.cancel();
  assert.equal(schedule.pending, false);
  assert.equal(clock.pendingTimers, 0);
  clock.advance(10_000);
  assert.equal(connects, 3);
});
