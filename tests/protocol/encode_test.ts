import assert from "node:assert/strict";
import { encodeMessage } from "../../src/protocol/mod.ts";

Deno.test("encodeMessage writes what JSON.stringify writes for the same message object", () => {
  const payloads: unknown[] = [
    null,
    0,
    -0,
    1.5e300,
    'text with "quotes", \\ and \n newline \u2028',
    "\ud800 lone surrogate",
    [1, [2, { a: null }]],
    { nested: { deep: [true, false] }, 'key with "quote"': 1 },
    { toJSON: () => ({ replaced: true }) },
    new Date(0),
    undefined,
    () => 1,
  ];
  for (const payload of payloads) {
    for (const extra of [{}, { event: 'e"v' }]) {
      for (const [topic, from] of [["chat:a", "alice"], [null, null]] as const) {
        const message = {
          type: "message" as const,
          topic,
          payload,
          from,
          ts: 1795479631610,
          ...extra,
        };
        assert.equal(encodeMessage(message), JSON.stringify(message), String(payload));
      }
    }
  }
});

Deno.test("encodeMessage takes a publication without a type", () => {
  const text = encodeMessage({ topic: "t", payload: { n: 1 }, from: null, ts: 2 });
  assert.deepEqual(JSON.parse(text), {
    type: "message",
    topic: "t",
    payload: { n: 1 },
    from: null,
    ts: 2,
  });
});
