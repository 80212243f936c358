// Signed publications on the wire: `publish` with `jws` instead of `payload`,
// and `message` frames carrying both the payload and the exact JWS.

import assert from "node:assert/strict";
import { DEFAULT_FRAME_LIMITS, encodeMessage, parseClientFrame } from "../../src/protocol/mod.ts";
import { signPublication } from "../../src/signing/sign.ts";

const SECRET = "a-publication-secret-of-at-least-32-bytes";
const JWS = "eyJhbGciOiJIUzI1NiJ9.eyJ0b3BpYyI6ImE6YiJ9.c2lnbmF0dXJl";

Deno.test("parseClientFrame reads a signed publish as its jws with a null payload", () => {
  const cases: [string, unknown][] = [
    [
      `{"type":"publish","topic":"a:b","jws":"${JWS}"}`,
      { type: "publish", topic: "a:b", payload: null, jws: JWS },
    ],
    [
      `{"type":"publish","id":9,"topic":"a:b","jws":"${JWS}"}`,
      { type: "publish", id: 9, topic: "a:b", payload: null, jws: JWS },
    ],
    // An unsigned JWS (`alg: none`) is well-formed here; the verifier refuses it.
    [
      '{"type":"publish","topic":"a:b","jws":"eyJhbGciOiJub25lIn0.e30."}',
      { type: "publish", topic: "a:b", payload: null, jws: "eyJhbGciOiJub25lIn0.e30." },
    ],
  ];
  for (const [text, frame] of cases) {
    assert.deepEqual(parseClientFrame(text, DEFAULT_FRAME_LIMITS), { ok: true, frame }, text);
  }
});

Deno.test("parseClientFrame refuses a publish with both payload and jws, or a malformed jws", () => {
  const cases: [string, RegExp][] = [
    [`{"type":"publish","id":1,"topic":"a","payload":1,"jws":"${JWS}"}`, /not both/],
    [`{"type":"publish","id":1,"topic":"a","payload":null,"jws":"${JWS}"}`, /not both/],
    ['{"type":"publish","id":1,"topic":"a","jws":""}', /compact JWS/],
    ['{"type":"publish","id":1,"topic":"a","jws":42}', /compact JWS/],
    ['{"type":"publish","id":1,"topic":"a","jws":"a.b"}', /compact JWS/],
    ['{"type":"publish","id":1,"topic":"a","jws":"a.b.c.d.e"}', /compact JWS/],
    ['{"type":"publish","id":1,"topic":"a","jws":"a b.c.d"}', /compact JWS/],
    [`{"type":"publish","id":1,"topic":"a:*","jws":"${JWS}"}`, /wildcard|pattern|\*/],
  ];
  for (const [text, message] of cases) {
    const result = parseClientFrame(text, DEFAULT_FRAME_LIMITS);
    assert.equal(result.ok, false, text);
    if (!result.ok) {
      assert.equal(result.code, "BAD_REQUEST");
      assert.equal(result.id, 1);
      assert.match(result.message, message);
      assert.ok(!result.message.includes(JWS), "the JWS is never echoed");
    }
  }
});

Deno.test("parseClientFrame bounds a signed publish by the frame size", async () => {
  const jws = await signPublication("a:b", "x".repeat(70_000), SECRET);
  const result = parseClientFrame(
    JSON.stringify({ type: "publish", topic: "a:b", jws }),
    DEFAULT_FRAME_LIMITS,
  );
  assert.equal(result.ok ? "ok" : result.code, "TOO_LARGE");
});

Deno.test("encodeMessage puts the exact jws after the payload, and nothing for unsigned messages", async () => {
  const jws = await signPublication("a:b", { n: 1 }, SECRET);
  const text = encodeMessage({ topic: "a:b", payload: { n: 1 }, jws, from: "svc", ts: 5 });
  assert.equal(
    text,
    `{"type":"message","topic":"a:b","payload":{"n":1},"jws":"${jws}","from":"svc","ts":5}`,
  );
  assert.equal(JSON.parse(text).jws, jws);
  const plain = encodeMessage({ topic: "a:b", payload: 1, from: null, ts: 5 });
  assert.equal(plain, '{"type":"message","topic":"a:b","payload":1,"from":null,"ts":5}');
});
