// A v1 door checks what its socket holds before each write (the slow-consumer
// bound): a socket that can say it holds at most the room left
// (`bufferedAtMost`) is not read, and one that cannot is read and decides
// exactly as before, so a consumer is dropped at the same byte.

import assert from "node:assert/strict";
import { createFlushQueue } from "../../src/hub/_flush_queue.ts";
import { V1Door } from "../../src/hub/codec/v1.ts";
import { Outgoing } from "../../src/hub/codec/outgoing.ts";
import { BoundedSocket } from "../_support/bounded_socket.ts";

const LIMIT = 1_000;

function door() {
  const turns: (() => void)[] = [];
  const flushQueue = createFlushQueue({ schedule: (fn) => void turns.push(fn) });
  const host = {
    limits: { maxFrameBytes: 65_536, maxDepth: 16, maxBufferedBytes: LIMIT },
    flushQueue,
    metrics: { socketWrites: 0 },
    batch: false,
  };
  const socket = new BoundedSocket(LIMIT);
  const v1 = new V1Door(socket, host);
  const overflows: number[] = [];
  v1.bind({ overflow: () => void overflows.push(1) });
  const publish = (text: string) => {
    v1.publication(
      new Outgoing("room", { data: JSON.stringify(text), from: null, ts: 1 }, undefined, undefined),
    );
    turns.splice(0).forEach((fn) => fn());
  };
  return { socket, publish, overflows };
}

Deno.test("V1Door does not read bufferedAmount of a socket that holds at most the room left", () => {
  const { socket, publish, overflows } = door();
  publish("hello");
  const frame = socket.texts[0];
  // The room left is the limit less three bytes per UTF-16 unit of the frame.
  socket.bound = LIMIT - 3 * frame.length;
  publish("hello");
  assert.deepEqual([socket.texts.length, socket.reads, overflows.length], [2, 1, 0]);
});

Deno.test("V1Door reads bufferedAmount past the socket's bound and drops at the same byte", () => {
  const { socket, publish, overflows } = door();
  publish("hello");
  const frame = socket.texts[0];
  socket.held = LIMIT - frame.length;
  publish("hello");
  assert.deepEqual([socket.texts.length, socket.reads, overflows.length], [2, 2, 0]);
  socket.held = LIMIT - frame.length + 1;
  publish("hello");
  assert.deepEqual([socket.texts.length, socket.reads, overflows.length], [2, 3, 1]);
});
