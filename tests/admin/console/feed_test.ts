// The console feed on an injected clock: no timer without viewers, one
// timer shared by all, bounded viewers, a stalled viewer holds bounded memory.

import assert from "node:assert/strict";
import { createConsoleFeed } from "../../../src/admin/console/feed.ts";
import { createSseParser, type ServerSentEvent } from "../../../src/admin/console/sse.ts";
import { createHub } from "../../../mod.ts";
import type { Hub } from "../../../src/hub/hub.ts";
import { ManualClock } from "../../_support/manual_clock.ts";
import { SECRET } from "../../_support/hub.ts";

function hubOn(clock: ManualClock): Hub {
  return createHub({ auth: { secret: SECRET }, clock, log: () => {} });
}

/** Everything a stream holds right now, without waiting for more. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  const parse = createSseParser((e) => events.push(e));
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  // Chunks already enqueued are read in the same turn; stop at the first pending read.
  while (true) {
    const next = await Promise.race([reader.read(), Promise.resolve("pending" as const)]);
    if (next === "pending" || next.done) break;
    parse(decoder.decode(next.value, { stream: true }));
  }
  reader.releaseLock();
  return events;
}

Deno.test("createConsoleFeed arms no timer until someone watches, and disarms after", async () => {
  const clock = new ManualClock();
  const hub = hubOn(clock);
  const feed = createConsoleFeed(hub, { clock });
  assert.equal(clock.pendingTimers, 0);
  clock.advance(60_000);
  assert.equal(clock.pendingTimers, 0, "an unwatched feed costs nothing");
  const a = feed.open()!;
  const b = feed.open()!;
  assert.equal(clock.pendingTimers, 1, "one timer for every viewer");
  clock.advance(3000);
  assert.equal(clock.pendingTimers, 1);
  await a.cancel();
  assert.equal(feed.sampling, true);
  await b.cancel();
  assert.equal(feed.sampling, false);
  assert.equal(clock.pendingTimers, 0);
  feed.close();
  await hub.close();
});

Deno.test("createConsoleFeed sends one snapshot per interval, the same to each viewer", async () => {
  const clock = new ManualClock();
  const hub = hubOn(clock);
  const feed = createConsoleFeed(hub, { clock, intervalMs: 1000 });
  const a = feed.open()!;
  const b = feed.open()!;
  clock.advance(0);
  clock.advance(1000);
  const [ea, eb] = [await drain(a), await drain(b)];
  assert.deepEqual(ea.map((e) => e.event), ["history", "snapshot", "snapshot"]);
  assert.deepEqual(eb.slice(1), ea.slice(1));
  const [first, second] = ea.slice(1).map((e) => JSON.parse(e.data));
  assert.equal(first.point.messagesInPerSecond, null, "no rate without a previous sample");
  assert.equal(second.point.messagesInPerSecond, 0);
  assert.equal(second.point.at - first.point.at, 1000);
  // A later viewer gets the points so far as its history.
  const c = feed.open()!;
  const [history] = await drain(c);
  assert.equal(JSON.parse(history.data).points.length, 2);
  for (const s of [a, b, c]) await s.cancel();
  feed.close();
  await hub.close();
});

Deno.test("createConsoleFeed refuses viewers past maxViewers and after close", async () => {
  const clock = new ManualClock();
  const hub = hubOn(clock);
  const feed = createConsoleFeed(hub, { clock, maxViewers: 2 });
  const a = feed.open()!;
  const b = feed.open()!;
  assert.equal(feed.open(), undefined);
  await a.cancel();
  const c = feed.open();
  assert.ok(c !== undefined, "a freed place can be taken");
  feed.close();
  assert.equal(feed.open(), undefined);
  assert.equal(feed.viewers, 0);
  assert.equal(clock.pendingTimers, 0);
  // Closed streams end for their readers.
  const reader = b.getReader();
  while (!(await reader.read()).done) { /* history */ }
  await hub.close();
});

Deno.test("createConsoleFeed queues at most four snapshots for a viewer that does not read", async () => {
  const clock = new ManualClock();
  const hub = hubOn(clock);
  const feed = createConsoleFeed(hub, { clock, historyPoints: 10 });
  const stalled = feed.open()!;
  for (let i = 0; i < 50; i++) clock.advance(1000);
  const events = await drain(stalled);
  assert.ok(events.length <= 5, `${events.length} events queued`);
  // History is bounded too.
  const late = feed.open()!;
  const [history] = await drain(late);
  assert.equal(JSON.parse(history.data).points.length, 10);
  await stalled.cancel();
  await late.cancel();
  feed.close();
  await hub.close();
});

Deno.test("createConsoleFeed refuses out-of-range options", async () => {
  const hub = hubOn(new ManualClock());
  assert.throws(() => createConsoleFeed(hub, { intervalMs: 0 }), RangeError);
  assert.throws(() => createConsoleFeed(hub, { maxViewers: 1.5 }), RangeError);
  assert.throws(() => createConsoleFeed(hub, { rows: 501 }), /'rows' is 501/);
  await hub.close();
});

Deno.test("createConsoleFeed ends a viewer's stream once stillAllowed says no", async () => {
  const clock = new ManualClock();
  const hub = hubOn(clock);
  const feed = createConsoleFeed(hub, { clock });
  let allowed = true;
  let refusals = 0;
  const watched = feed.open({ stillAllowed: () => allowed, onRefused: () => refusals++ })!;
  const other = feed.open({ stillAllowed: () => Promise.reject(new Error("verifier down")) })!;
  clock.advance(0);
  await Promise.resolve(); // the rejected check settles
  assert.equal(feed.viewers, 1, "a check that throws counts as a refusal");
  clock.advance(1000);
  allowed = false;
  clock.advance(1000);
  assert.equal(feed.viewers, 0);
  assert.equal(refusals, 1);
  assert.equal(clock.pendingTimers, 0, "the last viewer gone, the timer stops");
  const events = await drain(watched);
  assert.deepEqual(events.map((e) => e.event), ["history", "snapshot", "snapshot"]);
  await other.cancel();
  feed.close();
  await hub.close();
});
