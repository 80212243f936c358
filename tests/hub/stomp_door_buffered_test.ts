// A STOMP door checks what its socket holds before each write (the
// slow-consumer bound), as the v1 door does: a socket that can say it holds
// at most the room left (`bufferedAtMost`) is not read, and one that cannot
// is read and decides exactly as before, so a consumer is dropped at the
// same byte.

import assert from "node:assert/strict";
import { createFlushQueue } from "../../src/hub/_flush_queue.ts";
import { StompDoor } from "../../src/hub/codec/stomp.ts";
import { StompPublicationCodec } from "../../src/hub/codec/stomp_publication.ts";
import { StompSendTopics } from "../../src/hub/codec/stomp_send.ts";
import { Outgoing } from "../../src/hub/codec/outgoing.ts";
import type { TextSocket } from "../../src/hub/codec/door.ts";
import type { ServerFrame } from "../../src/protocol/frames.ts";
import { resolveStompDestinationRule } from "../../src/protocol/stomp/destination.ts";
import { DEFAULT_STOMP_LIMITS } from "../../src/protocol/stomp/frame.ts";

const LIMIT = 1_000;

/** A socket that holds `held` bytes and says so only up to `bound`. */
class BoundedSocket implements TextSocket {
  texts: string[] = [];
  reads = 0;
  held = 0;
  /** What it can tell without a reading: at most this many bytes (at first, nothing of use). */
  bound = LIMIT;
  send(text: string): void {
    this.texts.push(text);
  }
  close(): void {}
  get bufferedAmount(): number {
    this.reads++;
    return this.held;
  }
  bufferedAtMost(bytes: number): boolean {
    return this.bound <= bytes;
  }
}

/** A STOMP door, CONNECTED and subscribed to `room` as `sub-0`, its CONNECTED frame written. */
function door() {
  const turns: (() => void)[] = [];
  const flushQueue = createFlushQueue({ schedule: (fn) => void turns.push(fn) });
  const rule = resolveStompDestinationRule();
  const host = {
    limits: {
      ...DEFAULT_STOMP_LIMITS,
      maxFrameBytes: 65_536,
      maxBodyBytes: 65_536,
      maxDepth: 16,
      maxBufferedBytes: LIMIT,
      maxSubscriptions: 16,
    },
    rule,
    codec: new StompPublicationCodec(rule, "h-"),
    sendTopics: new StompSendTopics(rule),
    heartbeatMs: 0,
    batch: true,
    flushQueue,
    metrics: { socketWrites: 0 },
    timers: { now: () => 0, add: () => ({}), cancel: () => {} },
  };
  const socket = new BoundedSocket();
  const stomp = new StompDoor(socket, host, "1.2");
  const overflows: number[] = [];
  stomp.bind({ overflow: () => void overflows.push(1), close: () => {} });
  const turn = () => turns.splice(0).forEach((fn) => fn());
  const connect = stomp.decode("CONNECT\naccept-version:1.2\n\n\0");
  assert.ok(connect.ok && connect.frame.type === "ping");
  stomp.reply({ type: "welcome", user: "u", connectionId: "c" } as ServerFrame);
  stomp.ack(connect.frame.id);
  const subscribe = stomp.decode("SUBSCRIBE\nid:sub-0\ndestination:/topic/room\n\n\0");
  assert.ok(subscribe.ok && subscribe.frame.type === "subscribe");
  stomp.ack(subscribe.frame.id);
  turn();
  assert.ok(socket.texts[0].startsWith("CONNECTED\n"));
  socket.texts = [];
  socket.reads = 0;
  const publish = (text: string) => {
    stomp.publication(
      new Outgoing("room", { data: JSON.stringify(text), from: null, ts: 1 }, undefined, undefined),
    );
    turn();
  };
  return { socket, publish, overflows };
}

Deno.test("StompDoor does not read bufferedAmount of a socket that holds at most the room left", () => {
  const { socket, publish, overflows } = door();
  publish("hello");
  const frame = socket.texts[0];
  assert.ok(frame.startsWith("MESSAGE\nsubscription:sub-0\n"));
  // The room left is the limit less three bytes per UTF-16 unit of the frame.
  socket.bound = LIMIT - 3 * frame.length;
  publish("hello");
  assert.deepEqual([socket.texts.length, socket.reads, overflows.length], [2, 1, 0]);
});

Deno.test("StompDoor reads bufferedAmount past the socket's bound and drops at the same byte", () => {
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
