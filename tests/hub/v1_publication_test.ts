// Protocol v1's `message` frame is the publication as JSON, whichever
// publisher's publications it follows: the encoder keeps the last
// publisher's subject as JSON text, and a publication from another
// publisher (or the server, `from: null`) must never carry it.

import assert from "node:assert/strict";
import { encodeMessage } from "../../src/protocol/encode.ts";
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

Deno.test("a v1 message frame is the text encodeMessage writes, with or without each field", () => {
  const cases = [
    { data: '{"n":1}', from: "alice", ts: 5 },
    { data: undefined, from: "alice", ts: 6 },
    { data: '"x"', from: null, ts: 7, event: "joined" },
    { data: undefined, from: "bob", ts: 8, extra: "aa.bb.cc" },
    { data: "[1,2]", from: "bob", ts: 9, event: "e", extra: "aa.bb.cc" },
  ];
  for (const [i, c] of cases.entries()) {
    for (const offset of [undefined, 3]) {
      const outgoing = new Outgoing(i % 2 === 0 ? `t:${i}` : null, c, offset, undefined);
      assert.equal(
        encodeV1Publication(outgoing),
        encodeMessage({
          topic: outgoing.topic,
          payload: c.data === undefined ? undefined : JSON.parse(c.data),
          from: c.from,
          ts: c.ts,
          ...(c.event === undefined ? {} : { event: c.event }),
          ...(c.extra === undefined ? {} : { jws: c.extra }),
          ...(offset === undefined ? {} : { offset }),
        }),
      );
    }
  }
});
