// A STOMP door on its own, for tests of what it writes: a recording socket
// whose bound (`bufferedAtMost`) and held bytes the test sets, a flush queue
// turned by hand, and the session's part played by the test (CONNECT is
// welcomed, SUBSCRIBE and UNSUBSCRIBE acknowledged).

import assert from "node:assert/strict";
import { createFlushQueue } from "../../src/hub/_flush_queue.ts";
import { StompDoor } from "../../src/hub/codec/stomp.ts";
import { StompPublicationCodec } from "../../src/hub/codec/stomp_publication.ts";
import { StompSendTopics } from "../../src/hub/codec/stomp_send.ts";
import { Outgoing } from "../../src/hub/codec/outgoing.ts";
import { BoundedSocket } from "./bounded_socket.ts";
import type { ServerFrame } from "../../src/protocol/frames.ts";
import { resolveStompDestinationRule } from "../../src/protocol/stomp/destination.ts";
import { DEFAULT_STOMP_LIMITS } from "../../src/protocol/stomp/frame.ts";

/** A CONNECTED door, its CONNECTED frame written and forgotten. */
export function connectedDoor(maxBufferedBytes: number) {
  const turns: (() => void)[] = [];
  const flushQueue = createFlushQueue({ schedule: (fn) => void turns.push(fn) });
  const rule = resolveStompDestinationRule();
  const host = {
    limits: {
      ...DEFAULT_STOMP_LIMITS,
      maxFrameBytes: 65_536,
      maxBodyBytes: 65_536,
      maxDepth: 16,
      maxBufferedBytes,
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
  const socket = new BoundedSocket(maxBufferedBytes);
  const door = new StompDoor(socket, host, "1.2");
  const overflows: number[] = [];
  door.bind({ overflow: () => void overflows.push(1), close: () => {} });
  const turn = () => turns.splice(0).forEach((fn) => fn());
  /** Hands the door a client frame; a request for the session is acknowledged at once. */
  const receive = (text: string) => {
    const parsed = door.decode(text);
    assert.ok(parsed.ok, text);
    if (parsed.frame.type !== "ping" || parsed.frame.id !== undefined) {
      door.ack((parsed.frame as { id?: number }).id);
    }
    turn();
  };
  door.reply({ type: "welcome", user: "u", connectionId: "c" } as ServerFrame);
  receive("CONNECT\naccept-version:1.2\n\n\0");
  assert.ok(socket.texts[0].startsWith("CONNECTED\n"));
  socket.texts = [];
  socket.reads = 0;
  /** Publishes `data` (JSON text) to `topic`, and ends the turn. */
  const publish = (topic: string, data: string) => {
    door.publication(new Outgoing(topic, { data, from: null, ts: 1 }, undefined, undefined));
    turn();
  };
  return { door, socket, overflows, receive, publish };
}
