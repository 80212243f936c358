// Request bookkeeping with injected time: ids, answers, timeouts, bulk rejection.

import assert from "node:assert/strict";
import { RealtimeError } from "../../src/client/mod.ts";
import { Requests } from "../../src/client/_requests.ts";
import { ManualClock } from "../_support/manual_clock.ts";

function state(promise: Promise<unknown>): Promise<string> {
  return Promise.race([
    promise.then(() => "resolved", (e) => `rejected:${e.code}`),
    new Promise<string>((resolve) =>
      queueMicrotask(() => queueMicrotask(() => resolve("pending")))
    ),
  ]);
}

Deno.test("Requests settles a request by the id the server echoes", async () => {
  const requests = new Requests(new ManualClock());
  const a = requests.nextId();
  const b = requests.nextId();
  assert.notEqual(a, b);
  const first = requests.add(a, { timeoutMs: 100, what: "Publish to 'chat:a'", topic: "chat:a" });
  const second = requests.add(b, { timeoutMs: 100, what: "Ping" });
  assert.equal(requests.answer({ type: "pong", id: b }), true);
  assert.deepEqual(await second, { type: "pong", id: b });
  assert.equal(await state(first), "pending");
  assert.equal(requests.answer({ type: "ack", id: 999 }), false, "unknown id");
  assert.equal(requests.answer({ type: "ack", id: String(a) }), false, "ids are numbers");
  assert.equal(
    requests.answer({ type: "error", id: a, code: "FORBIDDEN", message: "No", retry: false }),
    true,
  );
  const error = await first.catch((e) => e);
  assert.ok(error instanceof RealtimeError);
  assert.deepEqual([error.code, error.message, error.topic, error.retry], [
    "FORBIDDEN",
    "No",
    "chat:a",
    false,
  ]);
  assert.equal(requests.has(a) || requests.has(b), false, "both settled and gone");
});

Deno.test("Requests times out exactly at the deadline and clears its timer", async () => {
  const clock = new ManualClock();
  const requests = new Requests(clock);
  let settled = 0;
  const id = requests.nextId();
  const answer = requests.add(id, {
    timeoutMs: 1000,
    what: "Subscribe to 'chat:a'",
    topic: "chat:a",
    onSettle: () => settled++,
  });
  clock.advance(999);
  assert.equal(await state(answer), "pending");
  clock.advance(1);
  const error = await answer.catch((e) => e);
  assert.deepEqual([error.code, error.retry, error.topic], ["TIMEOUT", true, "chat:a"]);
  assert.equal(error.message, "Subscribe to 'chat:a' was not answered within 1000 ms");
  assert.equal(settled, 1);
  assert.equal(requests.answer({ type: "ack", id }), false, "a late answer is ignored");
  assert.equal(settled, 1);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("Requests rejectWhere rejects only the chosen requests", async () => {
  const clock = new ManualClock();
  const requests = new Requests(clock);
  const sentId = requests.nextId();
  const queuedId = requests.nextId();
  const sent = requests.add(sentId, { timeoutMs: 100, what: "A" });
  const queued = requests.add(queuedId, { timeoutMs: 100, what: "B" });
  requests.markSent(sentId);
  const lost = new RealtimeError("DISCONNECTED", "lost", { retry: true });
  requests.rejectWhere((wasSent) => wasSent ? lost : undefined);
  assert.equal(await sent.catch((e) => e), lost);
  assert.equal(await state(queued), "pending");
  assert.equal(requests.has(queuedId), true);
  requests.reject(queuedId, new RealtimeError("CLOSED", "closed"));
  assert.equal(await state(queued), "rejected:CLOSED");
  assert.equal(clock.pendingTimers, 0);
});
