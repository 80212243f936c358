import assert from "node:assert/strict";
import { createDeadlines } from "../../src/hub/_deadlines.ts";
import { ManualClock } from "../_support/manual_clock.ts";

Deno.test("createDeadlines runs deadlines in time order on one clock timer", () => {
  const clock = new ManualClock(0);
  const deadlines = createDeadlines(clock);
  const ran: string[] = [];
  for (const [at, name] of [[30, "c"], [10, "a"], [20, "b1"], [20, "b2"]] as const) {
    deadlines.add(at, () => ran.push(name));
  }
  assert.equal(clock.pendingTimers, 1);
  assert.equal(deadlines.size, 4);
  clock.advance(9);
  assert.deepEqual(ran, []);
  clock.advance(11);
  assert.deepEqual(ran, ["a", "b1", "b2"]);
  clock.advance(100);
  assert.deepEqual(ran, ["a", "b1", "b2", "c"]);
  assert.equal(deadlines.size, 0);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("createDeadlines cancels, re-arms for an earlier deadline and skips cancelled ones", () => {
  const clock = new ManualClock(0);
  const deadlines = createDeadlines(clock);
  const ran: number[] = [];
  const late = deadlines.add(100, () => ran.push(100));
  const early = deadlines.add(50, () => ran.push(50));
  deadlines.add(70, () => ran.push(70));
  deadlines.cancel(early);
  deadlines.cancel(early); // twice is a no-op
  assert.equal(deadlines.size, 2);
  assert.equal(clock.pendingTimers, 1);
  clock.advance(80);
  assert.deepEqual(ran, [70]);
  deadlines.cancel(late);
  assert.equal(clock.pendingTimers, 0);
  clock.advance(100);
  assert.deepEqual(ran, [70]);
});

Deno.test("createDeadlines runs a deadline added by a running one when it is due", () => {
  const clock = new ManualClock(0);
  const deadlines = createDeadlines(clock);
  const ran: string[] = [];
  deadlines.add(10, () => {
    ran.push("first");
    deadlines.add(15, () => ran.push("second"));
  });
  clock.advance(20);
  assert.deepEqual(ran, ["first", "second"]);
});

Deno.test("createDeadlines keeps order and memory across many cancellations", () => {
  const clock = new ManualClock(0);
  const deadlines = createDeadlines(clock);
  const ran: number[] = [];
  const handles = [];
  for (let i = 0; i < 5000; i++) handles.push(deadlines.add(5000 - i, () => ran.push(5000 - i)));
  // Three in four cancelled: past half, the heap is rebuilt from the live ones.
  for (let i = 0; i < 5000; i++) if (i % 4 !== 0) deadlines.cancel(handles[i]);
  assert.equal(deadlines.size, 1250);
  clock.advance(10_000);
  const expected = [];
  for (let at = 1; at <= 5000; at++) if ((5000 - at) % 4 === 0) expected.push(at);
  assert.deepEqual(ran, expected);
});

Deno.test("createDeadlines close cancels everything and releases the timer", () => {
  const clock = new ManualClock(0);
  const deadlines = createDeadlines(clock);
  let ran = false;
  deadlines.add(10, () => ran = true);
  deadlines.close();
  assert.equal(clock.pendingTimers, 0);
  clock.advance(20);
  assert.equal(ran, false);
  assert.equal(deadlines.size, 0);
});
