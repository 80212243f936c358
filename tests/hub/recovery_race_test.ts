// Publications racing a recovery are neither lost nor doubled, and a
// recovery is never falsely complete: 200 rounds against a real hub over a
// real socket, on the in-memory engine whose recovery read is made to take
// a while (as a networked engine's does) while publications arrive before
// and after the read.

import assert from "node:assert/strict";
import { connectWelcomed, type Frame } from "../_support/client.ts";
import { startTestHub } from "../_support/hub.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";

const ROUNDS = 200;
const TOPIC = "chat:race";

/** The in-memory engine; `during(phase)` runs inside every recovery, before and after its read. */
function slowRecoveryEngine(during: (phase: "before" | "after") => Promise<void>): Engine {
  const inner = createMemoryEngine({
    history: [{ pattern: "chat:*", size: 10_000, ttlMs: 600_000 }],
  });
  return {
    publish: (topic, publication) => inner.publish(topic, publication),
    subscribe: (topic, listener) => inner.subscribe(topic, listener),
    position: (topic) => inner.position(topic),
    history: (topic, query) => inner.history(topic, query),
    async recover(topic, since, maxRecover) {
      await during("before");
      const recovery = await inner.recover(topic, since, maxRecover);
      await during("after");
      return recovery;
    },
    presenceAdd: (topic, entry) => inner.presenceAdd(topic, entry),
    presenceRemove: (topic, connection) => inner.presenceRemove(topic, connection),
    presence: (topic) => inner.presence(topic),
    presenceStats: (topic) => inner.presenceStats(topic),
    control: (command) => inner.control(command),
    onControl: (handler) => inner.onControl(handler),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
}

Deno.test(`recovery racing publications: ${ROUNDS} rounds, no loss, no duplicate, no false recovered`, async () => {
  let round = 0;
  let publish: (n: number) => Promise<void> = () => Promise.resolve();
  const engine = slowRecoveryEngine(async (phase) => {
    // Publications land while the recovery is in flight: some before the
    // read (the replay holds them, live copies must be dropped), some after
    // (only the live copies bring them).
    await publish(phase === "before" ? round % 3 : round % 4);
  });
  await using h = await startTestHub("deno", {
    engine,
    history: [{ pattern: "chat:*", size: 10_000, ttlMs: 600_000 }],
    limits: { messageRate: 100_000, messageBurst: 100_000 },
  });
  let counter = 0;
  publish = async (n) => {
    for (let i = 0; i < n; i++) await h.hub.publish(TOPIC, ++counter);
  };
  const [socket] = await connectWelcomed(h.url, {
    protocols: [
      "realtime.v1",
      "auth",
      await h.token({ sub: "s", acl: { "chat:*": ["subscribe"] } }),
    ],
  });
  const first = await socket.request({ type: "subscribe", id: "first", topic: TOPIC });
  let last = { offset: first.offset as number, epoch: first.epoch as string };
  let falseRecovered = 0;
  let duplicates = 0;
  let lost = 0;
  const started = Date.now();
  for (round = 1; round <= ROUNDS; round++) {
    await socket.request({ type: "unsubscribe", id: `u${round}`, topic: TOPIC });
    await publish(round % 5); // missed while away
    // Every tenth round resumes from a position of another epoch: nothing may be replayed.
    const foreign = round % 10 === 0;
    const since = foreign ? { offset: last.offset, epoch: "not-" + last.epoch } : last;
    const ack = await socket.request({ type: "subscribe", id: `s${round}`, topic: TOPIC, since });
    if (foreign && ack.recovered !== false) falseRecovered++;
    if (!foreign) assert.equal(ack.recovered, true, `round ${round}`);
    const marker = await h.hub.publish(TOPIC, "marker");
    counter++;
    const got: Frame[] = [];
    while (got.at(-1)?.offset !== marker!.offset) {
      got.push(await socket.next((f) => f.type === "message" && f.topic === TOPIC, 5000));
    }
    const offsets = got.map((m) => m.offset as number);
    const from = ack.recovered ? since.offset + 1 : ack.offset + 1;
    const expected = Array.from({ length: marker!.offset - from + 1 }, (_, i) => from + i);
    duplicates += offsets.length - new Set(offsets).size;
    lost += expected.filter((o) => !offsets.includes(o)).length;
    assert.deepEqual(offsets, expected, `round ${round}: offsets in order, each once`);
    last = { offset: marker!.offset, epoch: ack.epoch };
  }
  assert.equal(falseRecovered, 0, "false recovered: true");
  assert.equal(duplicates, 0, "duplicates");
  assert.equal(lost, 0, "lost");
  assert.ok(Date.now() - started < 20_000, "bounded in time");
  assert.equal(socket.pending.filter((f) => f.type === "message").length, 0);
  await socket.close();
  await engine.close();
});
