// The idempotency key of a publish on the wire: read when well-formed,
// refused with BAD_REQUEST (naming what was seen) otherwise.

import assert from "node:assert/strict";
import { DEFAULT_FRAME_LIMITS, parseClientFrame } from "../../src/protocol/mod.ts";

const parse = (text: string) => parseClientFrame(text, DEFAULT_FRAME_LIMITS);

Deno.test("parseClientFrame reads a publish's idempotencyKey, with a payload or a jws", () => {
  const key = crypto.randomUUID();
  assert.deepEqual(
    parse(`{"type":"publish","id":1,"topic":"a:b","payload":2,"idempotencyKey":"${key}"}`),
    {
      ok: true,
      frame: { type: "publish", id: 1, topic: "a:b", payload: 2, idempotencyKey: key },
    },
  );
  const jws = "eyJhbGciOiJIUzI1NiJ9.e30.c2ln";
  assert.deepEqual(
    parse(`{"type":"publish","topic":"a:b","jws":"${jws}","idempotencyKey":"k"}`),
    {
      ok: true,
      frame: { type: "publish", topic: "a:b", payload: null, jws, idempotencyKey: "k" },
    },
  );
  assert.deepEqual(parse('{"type":"publish","topic":"a:b","payload":1}'), {
    ok: true,
    frame: { type: "publish", topic: "a:b", payload: 1 },
  });
});

Deno.test("parseClientFrame refuses a malformed idempotencyKey with BAD_REQUEST and the id", () => {
  const cases: [unknown, RegExp][] = [
    ["", /got a string of 0/],
    ["has space", /got a string of 9/],
    ["x".repeat(65), /got a string of 65/],
    ["é", /got a string of 1/],
    [7, /got number/],
    [null, /got object/],
  ];
  for (const [key, message] of cases) {
    const result = parse(
      JSON.stringify({ type: "publish", id: 4, topic: "a:b", payload: 1, idempotencyKey: key }),
    );
    assert.equal(result.ok, false, String(key));
    if (result.ok) continue;
    assert.equal(result.code, "BAD_REQUEST");
    assert.equal(result.id, 4);
    assert.match(result.message, /^'publish' field 'idempotencyKey' must be 1 to 64/);
    assert.match(result.message, message);
  }
});
