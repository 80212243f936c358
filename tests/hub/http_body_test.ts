// The one bounded body reader of every HTTP door: each refusal of
// readJsonObjectBody in its fixed order, and a body without a declared
// length cut off while it streams.

import assert from "node:assert/strict";
import { readBodyBytes, readBodyText, readJsonObjectBody } from "../../src/hub/http_body.ts";

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request("http://hub.test/", { method: "POST", body, headers });
}

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

Deno.test("readJsonObjectBody refuses each bad body with its reason, in order", async () => {
  const cases: [string, Request, string, string][] = [
    [
      "no type",
      post("{}"),
      "media-type",
      "Request body must be application/json, got 'text/plain;charset=UTF-8'",
    ],
    [
      "no type at all",
      post(null),
      "media-type",
      "Request body must be application/json, got no content type",
    ],
    ["too large", post('{"a":"xxxxxxxx"}', JSON_TYPE), "too-large", "Request body is over 8 bytes"],
    ["empty", post("", JSON_TYPE), "empty", "Request body is empty"],
    [
      "not UTF-8",
      post(new Uint8Array([0x7b, 0xff, 0x7d]), JSON_TYPE),
      "not-json",
      "Request body is not valid JSON",
    ],
    ["not JSON", post("{a}", JSON_TYPE), "not-json", "Request body is not valid JSON"],
    ["an array", post("[1]", JSON_TYPE), "not-object", "Request body must be a JSON object"],
  ];
  for (const [name, req, refusal, message] of cases) {
    const read = await readJsonObjectBody(req, 8);
    assert.deepEqual(read, { ok: false, refusal, message }, name);
  }
  assert.deepEqual(await readJsonObjectBody(post('{"a":1}', JSON_TYPE), 8), {
    ok: true,
    value: { a: 1 },
  });
});

Deno.test("readBodyBytes stops a body without a declared length once it passes the bound", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(4));
    },
  });
  assert.equal(await readBodyBytes(post(endless), 10), undefined);
  assert.ok(pulled <= 4, `pulled ${pulled} chunks`);
  assert.equal((await readBodyBytes(post(new Uint8Array(10)), 10))?.byteLength, 10);
});

Deno.test("readBodyText answers null for bytes that are not UTF-8", async () => {
  assert.equal(await readBodyText(post(new Uint8Array([0xc3])), 10), null);
  assert.equal(await readBodyText(post("héllo"), 10), "héllo");
  assert.equal(await readBodyText(post(null), 10), "");
});
