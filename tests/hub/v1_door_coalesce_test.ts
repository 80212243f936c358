// A busy hub holds a v1 door's publications for the coalescing window, so
// later ones join the same write; a reply does not wait and takes what is
// queued before it along, in order.

import assert from "node:assert/strict";
import { createFlushQueue } from "../../src/hub/_flush_queue.ts";
import { V1Door } from "../../src/hub/codec/v1.ts";
import { Outgoing } from "../../src/hub/codec/outgoing.ts";
import type { TextSocket } from "../../src/hub/codec/door.ts";
import { ManualClock } from "../_support/manual_clock.ts";

class RecordingSocket implements TextSocket {
  texts: string[] = [];
  bufferedAmount = 0;
  send(text: string): void {
    this.texts.push(text);
  }
  close(): void {}
}

const LIMITS = { maxFrameBytes: 65_536, maxDepth: 16, maxBufferedBytes: 1_000_000 };

function publication(n: number): Outgoing {
  return new Outgoing("room", { data: String(n), from: "ann", ts: n }, undefined, undefined);
}

/** A hub's worth of doors on a manual clock, right after a busy flush. */
function busyDoors(batch: boolean, maxBufferedBytes = LIMITS.maxBufferedBytes) {
  const turns: (() => void)[] = [];
  const clock = new ManualClock(0);
  const flushQueue = createFlushQueue({
    schedule: (fn) => void turns.push(fn),
    coalesceMs: 1,
    clock,
  });
  const metrics = { socketWrites: 0 };
  const host = { limits: { ...LIMITS, maxBufferedBytes }, flushQueue, metrics, batch };
  const overflows: number[] = [];
  const doors = Array.from({ length: 64 }, (_, i) => {
    const socket = new RecordingSocket();
    const door = new V1Door(socket, host);
    door.bind({ overflow: () => void overflows.push(i) });
    return { socket, door };
  });
  for (const { door } of doors) door.publication(publication(0));
  turns.splice(0).forEach((fn) => fn());
  assert.equal(metrics.socketWrites, 64, "the busy flush");
  const turn = () => turns.splice(0).forEach((fn) => fn());
  return { clock, doors, metrics, turn, overflows };
}

Deno.test("V1Door publications of a busy hub's window leave in one batched write", () => {
  const { clock, doors, metrics, turn } = busyDoors(true);
  for (let n = 1; n <= 3; n++) {
    for (const { door } of doors) door.publication(publication(n));
    turn();
  }
  assert.equal(metrics.socketWrites, 64, "nothing written before the window ends");
  clock.advance(1);
  assert.equal(metrics.socketWrites, 128, "one write per door for three publications");
  const texts = doors[0].socket.texts;
  assert.equal(texts.length, 2);
  assert.deepEqual(texts[1].split("\n").map((f) => JSON.parse(f).payload), [1, 2, 3]);
});

Deno.test("V1Door writes a reply at the end of the turn with the publications held before it", () => {
  const { clock, doors, turn } = busyDoors(true);
  const [{ door, socket }] = doors;
  door.publication(publication(1));
  door.ack(7);
  door.publication(publication(2));
  turn();
  assert.equal(socket.texts.length, 2);
  const frames = socket.texts[1].split("\n").map((f) => JSON.parse(f));
  assert.deepEqual(frames.map((f) => f.type), ["message", "ack", "message"]);
  assert.deepEqual([frames[0].payload, frames[1].id, frames[2].payload], [1, 7, 2]);
  clock.advance(1);
  assert.equal(socket.texts.length, 2, "the window's flush finds nothing left");
});

Deno.test("V1Door without batching still writes one message per frame after the window, in order", () => {
  const { clock, doors } = busyDoors(false);
  const [{ door, socket }] = doors;
  door.publication(publication(1));
  door.publication(publication(2));
  assert.equal(socket.texts.length, 1);
  clock.advance(1);
  assert.deepEqual(socket.texts.slice(1).map((t) => JSON.parse(t).payload), [1, 2]);
});

Deno.test("V1Door counts held publications against maxBufferedBytes as they are queued", () => {
  const { clock, doors, overflows } = busyDoors(true, 250);
  const [{ door, socket }] = doors;
  for (let n = 1; n <= 10 && overflows.length === 0; n++) door.publication(publication(n));
  assert.deepEqual(overflows, [0], "dropped at enqueue, before the window ends");
  clock.advance(1);
  assert.equal(socket.texts.length, 1, "what was dropped is not written");
});

Deno.test("V1Door close writes what waits for the window before closing", () => {
  const { doors } = busyDoors(true);
  const [{ door, socket }] = doors;
  door.publication(publication(1));
  door.close(1000, "bye");
  assert.equal(JSON.parse(socket.texts[1]).payload, 1);
});
