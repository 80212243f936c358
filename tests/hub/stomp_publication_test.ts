// The hub's STOMP publication codec: each MESSAGE carries its own
// publication's headers and body, whatever it keeps from the last one.

import assert from "node:assert/strict";
import { StompPublicationCodec } from "../../src/hub/codec/stomp_publication.ts";
import { Outgoing } from "../../src/hub/codec/outgoing.ts";
import { resolveStompDestinationRule } from "../../src/protocol/stomp/destination.ts";

function headerOf(frame: string, name: string): string | undefined {
  const head = frame.slice(0, frame.indexOf("\n\n"));
  return head.split("\n").find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1);
}

function publication(ts: number, data: string, from: string | null = "alice"): Outgoing {
  return new Outgoing("chat:lobby", { data, from, ts }, undefined, undefined);
}

Deno.test("StompPublicationCodec writes each publication's own timestamp, one millisecond or the next", () => {
  const codec = new StompPublicationCodec(resolveStompDestinationRule(), "h-");
  const stamps = [1_796_700_000_000, 1_796_700_000_000, 1_796_700_000_001, 5, 1_796_700_000_001];
  const frames = stamps.map((ts, i) => codec.message("0", publication(ts, `${i}`)));
  assert.deepEqual(frames.map((f) => headerOf(f, "timestamp")), stamps.map(String));
  assert.deepEqual(frames.map((f) => f.slice(f.indexOf("\n\n") + 2, -1)), [
    "0",
    "1",
    "2",
    "3",
    "4",
  ]);
});

Deno.test("StompPublicationCodec makes one frame per publication and subscription id", () => {
  const codec = new StompPublicationCodec(resolveStompDestinationRule(), "h-");
  const first = publication(1, '"same"');
  const second = publication(1, '"same"');
  const a = codec.message("sub-0", first);
  assert.equal(codec.message("sub-0", first), a);
  const b = codec.message("sub-0", second);
  assert.notEqual(b, a);
  assert.notEqual(headerOf(b, "message-id"), headerOf(a, "message-id"));
  assert.equal(headerOf(codec.message("sub-1", second), "subscription"), "sub-1");
  assert.equal(headerOf(codec.message("sub-0", second), "subscription"), "sub-0");
  codec.clear();
  assert.equal(codec.message("sub-0", first), a);
});

Deno.test("StompPublicationCodec writes every header of a publication, escaped, in its order", () => {
  const codec = new StompPublicationCodec(resolveStompDestinationRule(), "h-");
  const signed = new Outgoing(
    "chat:lobby",
    { data: '"héllo"', from: "al:ice", ts: 7, event: "e\n1", extra: "a.b.c" },
    5,
    "ep:1",
  );
  assert.equal(
    codec.encodePublication(signed),
    "\nmessage-id:h-1\ndestination:/topic/chat/lobby\nfrom:al\\cice\ntimestamp:7\nevent:e\\n1" +
      "\noffset:5\nepoch:ep\\c1\njws:a.b.c\ncontent-type:text/plain;charset=utf-8" +
      "\ncontent-length:6\n\nhéllo\0",
  );
  const direct = new Outgoing(
    null,
    { data: "[1]", from: null, ts: 8, event: "inbox" },
    undefined,
    undefined,
  );
  assert.equal(
    codec.encodePublication(direct),
    "\nmessage-id:h-2\ndestination:/user/queue/inbox\ntimestamp:8" +
      "\ncontent-type:application/json\ncontent-length:3\n\n[1]\0",
  );
  const empty = new Outgoing("a:b", { data: undefined, from: "bob", ts: 8 }, undefined, undefined);
  assert.equal(
    codec.encodePublication(empty),
    "\nmessage-id:h-3\ndestination:/topic/a/b\nfrom:bob\ntimestamp:8\n\n\0",
  );
});
