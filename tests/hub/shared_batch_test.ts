// A fan-out queues the same frames for every subscriber in a turn: the batch
// is joined once and, for sockets that take bytes, encoded to UTF-8 once.

import assert from "node:assert/strict";
import { frameExceeds, writeFrames } from "../../src/hub/codec/_outbox.ts";
import { SharedBatch } from "../../src/hub/codec/shared_batch.ts";
import type { TextSocket } from "../../src/hub/codec/door.ts";

class RecordingSocket implements TextSocket {
  texts: string[] = [];
  bytes: Uint8Array[] = [];
  bufferedAmount = 0;
  send(text: string): void {
    this.texts.push(text);
  }
  close(): void {}
}

class BytesSocket extends RecordingSocket {
  sendBytes(bytes: Uint8Array): void {
    this.bytes.push(bytes);
  }
}

Deno.test("writeFrames sends a shared batch's same bytes to every socket after the first", () => {
  const shared = new SharedBatch();
  const frames = ['{"a":"é"}', '{"b":2}'];
  const [first, second, third] = [new BytesSocket(), new BytesSocket(), new BytesSocket()];
  for (const socket of [first, second, third]) {
    assert.equal(writeFrames(socket, [...frames], true, "\n", shared), 1);
  }
  assert.deepEqual(first.texts, ['{"a":"é"}\n{"b":2}']);
  assert.deepEqual(new TextDecoder().decode(second.bytes[0]), '{"a":"é"}\n{"b":2}');
  assert.equal(third.bytes[0], second.bytes[0], "encoded once, the same bytes");
  assert.deepEqual([second.texts, third.texts], [[], []]);
});

Deno.test("writeFrames joins again when the frames differ, and sends text to sockets without bytes", () => {
  const shared = new SharedBatch();
  const plain = new RecordingSocket();
  const bytes = new BytesSocket();
  writeFrames(new RecordingSocket(), ["x", "y"], true, "\n", shared);
  writeFrames(plain, ["x", "y"], true, "\n", shared);
  writeFrames(bytes, ["x", "z"], true, "\n", shared);
  assert.deepEqual(plain.texts, ["x\ny"]);
  assert.deepEqual(bytes.texts, ["x\nz"], "other frames: joined anew, as text");
  shared.clear();
  const after = new BytesSocket();
  writeFrames(after, ["x", "z"], true, "\n", shared);
  assert.deepEqual(after.texts, ["x\nz"], "cleared: nothing is reused");
});

Deno.test("writeFrames shares a single frame without batching, and sends many frames one by one", () => {
  const shared = new SharedBatch();
  const [a, b] = [new BytesSocket(), new BytesSocket()];
  writeFrames(a, ["one"], false, "\n", shared);
  writeFrames(b, ["one"], false, "\n", shared);
  assert.deepEqual([a.texts, new TextDecoder().decode(b.bytes[0])], [["one"], "one"]);
  const c = new BytesSocket();
  assert.equal(writeFrames(c, ["p", "q"], false, "\n", shared), 2);
  assert.deepEqual(c.texts, ["p", "q"]);
});

Deno.test("writeOne reuses the bytes of the same publication, by identity, and no other's", () => {
  const shared = new SharedBatch();
  const publication = {};
  const [a, b, c] = [new BytesSocket(), new BytesSocket(), new RecordingSocket()];
  shared.writeOne(a, publication, '{"é":1}');
  shared.writeOne(b, publication, '{"é":1}');
  shared.writeOne(c, publication, '{"é":1}');
  assert.deepEqual([a.texts, new TextDecoder().decode(b.bytes[0]), c.texts], [
    ['{"é":1}'],
    '{"é":1}',
    ['{"é":1}'],
  ]);
  // Another publication with the same text is written as its own text.
  const d = new BytesSocket();
  shared.writeOne(d, {}, '{"é":1}');
  assert.deepEqual([d.texts, d.bytes], [['{"é":1}'], []]);
  // A batch written in between forgets the publication.
  const e = new BytesSocket();
  const other = {};
  shared.writeOne(new BytesSocket(), other, "x");
  writeFrames(new BytesSocket(), ["x", "y"], true, "\n", shared);
  shared.writeOne(e, other, "x");
  assert.deepEqual([e.texts, e.bytes], [["x"], []]);
});

Deno.test("frameExceeds counts one frame in UTF-8 bytes on top of what the socket holds", () => {
  assert.equal(frameExceeds(0, "abc", 3), false);
  assert.equal(frameExceeds(1, "abc", 3), true);
  assert.equal(frameExceeds(0, "é", 1), true, "two bytes, one UTF-16 unit");
  assert.equal(frameExceeds(0, "é", 2), false);
});
