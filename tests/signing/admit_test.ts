// admitPublication: what the hub does with a publish the ACL allowed, per topic kind.

import assert from "node:assert/strict";
import { admitPublication } from "../../src/signing/admit.ts";
import { signPublication } from "../../src/signing/sign.ts";
import { createPublicationVerifier } from "../../src/signing/verify.ts";
import { OTHER_SECRET, SECRET } from "./_keys.ts";

Deno.test("admitPublication admits plain publishes to plain topics and signed ones to signed topics only", async () => {
  const verifier = createPublicationVerifier({ keys: SECRET });
  const topic = "prices:eur";
  const good = await signPublication(topic, { bid: 1 }, SECRET);
  const forged = await signPublication(topic, { bid: 1 }, OTHER_SECRET);
  const cases: [string, Parameters<typeof admitPublication>, string, unknown?][] = [
    ["plain topic, plain publish", [undefined, { topic, payload: 5 }], "ok", {
      ok: true,
      payload: 5,
    }],
    [
      "plain topic, signed publish",
      [undefined, { topic, payload: null, jws: good }],
      "BAD_REQUEST",
    ],
    ["signed topic, plain publish", [verifier, { topic, payload: 5 }], "SIGNATURE_REQUIRED"],
    [
      "signed topic, forged publish",
      [verifier, { topic, payload: null, jws: forged }],
      "SIGNATURE_INVALID",
    ],
    ["signed topic, signed publish", [verifier, { topic, payload: null, jws: good }], "ok", {
      ok: true,
      payload: { bid: 1 },
      jws: good,
    }],
    [
      "signed topic, the same again",
      [verifier, { topic, payload: null, jws: good }],
      "SIGNATURE_REPLAYED",
    ],
  ];
  for (const [name, args, code, admitted] of cases) {
    const result = await admitPublication(...args);
    assert.equal(result.ok ? "ok" : result.code, code, name);
    if (admitted !== undefined) assert.deepEqual(result, admitted, name);
    if (!result.ok) assert.ok(!result.message.includes(good.split(".")[1]), name);
  }
});
