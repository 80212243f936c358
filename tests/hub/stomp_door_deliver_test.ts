// A STOMP door writes each publication to every subscription of its topic
// as they stand when it arrives: subscriptions added or ended between two
// publications to the same topic (the same topic string, as a publisher's
// SENDs carry) are taken into account.

import assert from "node:assert/strict";
import { connectedDoor } from "../_support/stomp_door.ts";

/** The subscription ids of the MESSAGE frames written, in order. */
function subscriptionsOf(texts: string[]): string[] {
  return texts.join("").split("\0").filter((f) => f.startsWith("MESSAGE\n")).map((f) =>
    /\nsubscription:([^\n]*)/.exec(f)![1]
  );
}

Deno.test("StompDoor delivers to the subscriptions of a topic as they stand at each publication", () => {
  const { socket, publish, receive } = connectedDoor(1 << 20);
  const topic = "chat:room";
  const written = () => subscriptionsOf(socket.texts.splice(0));
  receive("SUBSCRIBE\nid:a\ndestination:/topic/chat/room\n\n\0");
  publish(topic, "1");
  assert.deepEqual(written(), ["a"]);
  receive("SUBSCRIBE\nid:b\ndestination:/topic/chat/room\n\n\0");
  publish(topic, "2");
  assert.deepEqual(written(), ["a", "b"]);
  receive("UNSUBSCRIBE\nid:a\n\n\0");
  publish(topic, "3");
  assert.deepEqual(written(), ["b"]);
  publish("chat:other", "4");
  assert.deepEqual(written(), []);
  publish(topic, "5");
  assert.deepEqual(written(), ["b"]);
  receive("UNSUBSCRIBE\nid:b\n\n\0");
  publish(topic, "6");
  assert.deepEqual(written(), []);
  receive("SUBSCRIBE\nid:c\ndestination:/topic/chat/room\n\n\0");
  publish(topic, "7");
  assert.deepEqual(written(), ["c"]);
});
