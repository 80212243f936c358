// Protocol v1's `message` frame is the publication as JSON, whichever
// publisher's publications it follows: the encoder keeps the last
// publisher's subject as JSON text, and a publication from another
// publisher (or the server, `from: null`) must never carry it.

import assert from "node:assert/strict";
import { encodeV1Publication } from "../../src/hub/codec/v1.ts";
import { Outgoing } from "../../src/hub/codec/outgoing.ts";

Deno.test("a v1 message frame carries its own publisher, publishers interleaved", () => {
  const froms = ["alice", "alice", 'bob "the builder"', null, "alice", null, null, "bob"];
  froms.forEach((from, i) => {
    const text = encodeV1Publication(
      new Outgoing(`chat:r${i}`, { data: `{"n":${i}}`, from, ts: 1_000 + i }, undefined, undefined),
    );
    assert.deepEqual(JSON.parse(text), {
      type: "message",
      topic: `chat:r${i}`,
      payload: { n: i },
      from,
      ts: 1_000 + i,
    });
  });
});
