// A STOMP door checks what its socket holds before each write (the
// slow-consumer bound), as the v1 door does: a socket that can say it holds
// at most the room left (`bufferedAtMost`) is not read, and one that cannot
// is read and decides exactly as before, so a consumer is dropped at the
// same byte.

import assert from "node:assert/strict";
import { connectedDoor } from "../_support/stomp_door.ts";

const LIMIT = 1_000;

function subscribed() {
  const door = connectedDoor(LIMIT);
  door.receive("SUBSCRIBE\nid:sub-0\ndestination:/topic/room\n\n\0");
  return door;
}

Deno.test("StompDoor does not read bufferedAmount of a socket that holds at most the room left", () => {
  const { socket, publish, overflows } = subscribed();
  publish("room", '"hello"');
  const frame = socket.texts[0];
  assert.ok(frame.startsWith("MESSAGE\nsubscription:sub-0\n"));
  // The room left is the limit less three bytes per UTF-16 unit of the frame.
  socket.bound = LIMIT - 3 * frame.length;
  publish("room", '"hello"');
  assert.deepEqual([socket.texts.length, socket.reads, overflows.length], [2, 1, 0]);
});

Deno.test("StompDoor reads bufferedAmount past the socket's bound and drops at the same byte", () => {
  const { socket, publish, overflows } = subscribed();
  publish("room", '"hello"');
  const frame = socket.texts[0];
  socket.held = LIMIT - frame.length;
  publish("room", '"hello"');
  assert.deepEqual([socket.texts.length, socket.reads, overflows.length], [2, 2, 0]);
  socket.held = LIMIT - frame.length + 1;
  publish("room", '"hello"');
  assert.deepEqual([socket.texts.length, socket.reads, overflows.length], [2, 3, 1]);
});
