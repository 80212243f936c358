import assert from "node:assert/strict";
import { ManualClock } from "../_support/manual_clock.ts";
import {
  createWebhookQueue,
  retryDelay,
  type WebhookBatch,
  type WebhookDropReason,
  type WebhookQueueOptions,
} from "../../src/server/webhooks/webhook_queue.ts";

/** Lets settled promises' callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A backend the test answers by hand: each delivery waits for `answer`. */
function harness(overrides: Partial<WebhookQueueOptions> = {}) {
  const clock = new ManualClock(0);
  const calls: { batch: WebhookBatch; signal: AbortSignal; answer(ok: boolean): void }[] = [];
  const sent: number[] = [];
  const failed: number[] = [];
  const retried: number[] = [];
  const dropped: [number, WebhookDropReason][] = [];
  let n = 0;
  const queue = createWebhookQueue({
    clock,
    deliver(batch, signal) {
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      calls.push({
        batch,
        signal,
        answer: (ok) => ok ? resolve() : reject(new Error("HTTP 503")),
      });
      return promise;
    },
    maxBatch: 3,
    maxDelayMs: 1000,
    maxQueue: 100,
    backoff: { minMs: 500, maxMs: 4000 },
    newId: () => `id-${++n}`,
    random: () => 0,
    onSent: (count) => sent.push(count),
    onFailed: (_attempt, delay) => failed.push(delay),
    onRetry: (attempt) => retried.push(attempt),
    onDrop: (count, reason) => dropped.push([count, reason]),
    ...overrides,
  });
  return { clock, queue, calls, sent, failed, retried, dropped };
}

Deno.test("retryDelay doubles from minMs up to maxMs, with at most half of it random", () => {
  const backoff = { minMs: 500, maxMs: 4000 };
  const table: [number, number, number][] = [
    [1, 0, 250],
    [1, 0.999999, 500],
    [2, 0, 500],
    [3, 0, 1000],
    [4, 0, 2000],
    [5, 0, 2000],
    [5, 0.5, 3000],
    [60, 0, 2000],
  ];
  for (const [attempt, random, expected] of table) {
    assert.equal(retryDelay(attempt, backoff, random), expected, `attempt ${attempt}`);
  }
});

Deno.test("createWebhookQueue sends a full batch at once, without waiting for the delay", () => {
  const { queue, calls } = harness();
  queue.push({ type: "connect" });
  queue.push({ type: "join" });
  assert.equal(calls.length, 0);
  queue.push({ type: "leave" });
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].batch.events.map((e) => e.type), ["connect", "join", "leave"]);
  queue.close();
});

Deno.test("createWebhookQueue sends a partial batch once its first event waited maxDelayMs", () => {
  const { clock, queue, calls } = harness();
  queue.push({ type: "connect" });
  clock.advance(500);
  queue.push({ type: "join" });
  clock.advance(499);
  assert.equal(calls.length, 0);
  clock.advance(1);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].batch.events.length, 2);
  queue.close();
});

Deno.test("createWebhookQueue keeps one batch in flight and sends what waited as soon as it is taken", async () => {
  const { queue, calls, sent } = harness();
  for (let i = 0; i < 5; i++) queue.push({ type: "join", n: i });
  assert.equal(calls.length, 1, "the second batch waits for the first");
  assert.equal(queue.depth, 5);
  calls[0].answer(true);
  await settle();
  assert.equal(calls.length, 2, "the rest goes at once, without waiting for the delay");
  assert.deepEqual(calls[1].batch.events.map((e) => e.n), [3, 4]);
  calls[1].answer(true);
  await settle();
  assert.deepEqual(sent, [3, 2]);
  assert.equal(queue.depth, 0);
  queue.close();
});

Deno.test("createWebhookQueue retries a failed batch, with the same ids, after a growing delay", async () => {
  const { clock, queue, calls, failed, retried, sent } = harness();
  const ids = [queue.push({ type: "connect" }), queue.push({ type: "join" })];
  clock.advance(1000);
  calls[0].answer(false);
  await settle();
  assert.deepEqual(failed, [250]);
  clock.advance(249);
  assert.equal(calls.length, 1);
  clock.advance(1);
  assert.equal(calls.length, 2);
  calls[1].answer(false);
  await settle();
  clock.advance(500);
  assert.equal(calls.length, 3);
  assert.deepEqual(failed, [250, 500]);
  assert.deepEqual(retried, [1, 2]);
  for (const call of calls) {
    assert.equal(call.batch.id, calls[0].batch.id);
    assert.deepEqual(call.batch.events.map((e) => e.id), ids);
  }
  calls[2].answer(true);
  await settle();
  assert.deepEqual(sent, [2]);
  queue.close();
});

Deno.test("createWebhookQueue keeps order: events queued during retries follow the failed batch", async () => {
  const { clock, queue, calls } = harness();
  queue.push({ type: "connect", n: 1 });
  clock.advance(1000);
  calls[0].answer(false);
  await settle();
  queue.push({ type: "disconnect", n: 2 });
  clock.advance(10_000);
  assert.equal(calls.length, 2, "nothing new goes while the batch is retried");
  assert.deepEqual(calls[1].batch.events.map((e) => e.n), [1]);
  calls[1].answer(true);
  await settle();
  assert.deepEqual(calls[2].batch.events.map((e) => e.n), [2]);
  queue.close();
});

Deno.test("createWebhookQueue bounds what waits while the backend is down, dropping the oldest", async () => {
  const { clock, queue, calls, dropped } = harness({ maxQueue: 4 });
  for (let i = 0; i < 3; i++) queue.push({ type: "join", n: i });
  calls[0].answer(false);
  await settle();
  for (let i = 3; i < 13; i++) queue.push({ type: "join", n: i });
  assert.equal(queue.depth, 3 + 4, "the batch in flight and maxQueue waiting");
  assert.equal(dropped.reduce((sum, [count]) => sum + count, 0), 6);
  assert.ok(dropped.every(([, reason]) => reason === "full"));
  clock.advance(250);
  calls[1].answer(true);
  await settle();
  assert.deepEqual(calls[2].batch.events.map((e) => e.n), [9, 10, 11]);
  calls[2].answer(true);
  await settle();
  assert.deepEqual(calls[3].batch.events.map((e) => e.n), [12]);
  queue.close();
});

Deno.test("createWebhookQueue close aborts the request in flight and counts what it drops", async () => {
  const { clock, queue, calls, dropped, sent } = harness();
  for (let i = 0; i < 5; i++) queue.push({ type: "join" });
  assert.equal(queue.close(), 5);
  assert.equal(calls[0].signal.aborted, true);
  assert.deepEqual(dropped, [[5, "shutdown"]]);
  calls[0].answer(true);
  await settle();
  clock.advance(60_000);
  assert.equal(calls.length, 1);
  assert.deepEqual(sent, []);
  queue.push({ type: "join" });
  assert.deepEqual(dropped, [[5, "shutdown"], [1, "shutdown"]]);
  assert.equal(queue.close(), 0);
});

Deno.test("createWebhookQueue gives every event and batch its own id", () => {
  const { queue, calls } = harness({ maxBatch: 2 });
  for (let i = 0; i < 4; i++) queue.push({ type: "join" });
  const ids = calls.flatMap((c) => [c.batch.id, ...c.batch.events.map((e) => e.id)]);
  assert.equal(new Set(ids).size, ids.length);
  queue.close();
});

Deno.test("createWebhookQueue drain sends what waits at once, then closes", async () => {
  const { clock, queue, calls, sent, dropped } = harness();
  queue.push({ type: "disconnect" });
  const done = queue.drain(2000);
  assert.equal(calls.length, 1, "sent without waiting for maxDelayMs");
  calls[0].answer(true);
  assert.equal(await done, 0);
  assert.deepEqual(sent, [1]);
  assert.deepEqual(dropped, []);
  clock.advance(60_000);
  assert.equal(calls.length, 1);
});

Deno.test("createWebhookQueue drain gives up at its deadline and counts the drop", async () => {
  const { clock, queue, calls, dropped } = harness();
  queue.push({ type: "disconnect" });
  const done = queue.drain(2000);
  calls[0].answer(false);
  await settle();
  clock.advance(2000);
  assert.equal(await done, 1);
  assert.deepEqual(dropped, [[1, "shutdown"]]);
});

Deno.test("createWebhookQueue drain of an empty queue closes at once", async () => {
  const { queue } = harness();
  assert.equal(await queue.drain(2000), 0);
  assert.equal(queue.close(), 0);
});
