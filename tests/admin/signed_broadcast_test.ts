// POST /broadcast with "sign": a configured key id, over real HTTP and
// WebSockets; the key itself never travels in a request nor in the audit.

import assert from "node:assert/strict";
import { compactVerify } from "jose";
import { createAdminHandler } from "../../src/admin/handler.ts";
import type { AclRule } from "../../src/acl/rules.ts";
import { createPublicationVerifier } from "../../src/signing/verify.ts";
import { startTestHub } from "../_support/hub.ts";
import { es256, OTHER_SECRET, SECRET } from "../signing/_keys.ts";
import { call, startAdmin } from "./_helpers.ts";

const P = "/v1/realtime";

async function rules(): Promise<AclRule[]> {
  return [
    { effect: "allow", actions: ["subscribe"], topics: ["**"] },
    { effect: "allow", actions: ["publish"], topics: ["hs:*"], signed: { keys: SECRET } },
    {
      effect: "allow",
      actions: ["publish"],
      topics: ["es:*"],
      signed: { keys: (await es256()).publicPem },
    },
    { effect: "allow", actions: ["publish"], topics: ["plain:*"] },
  ];
}

Deno.test("POST /broadcast with 'sign' publishes signed with the configured key of that id", async () => {
  const es = await es256();
  await using f = await startAdmin(
    { signingKeys: { ops: SECRET, "prices.es": es.privatePem, stale: OTHER_SECRET } },
    { acl: { rules: await rules() } },
  );
  const reader = await f.open("reader", {});
  for (const [id, topic] of [[1, "hs:news"], [2, "es:news"], [3, "plain:news"]] as const) {
    assert.equal((await reader.request({ type: "subscribe", id, topic })).type, "ack");
  }
  const hs = await call(f.base, "POST", `${P}/broadcast`, {
    body: { topic: "hs:news", payload: { n: 1 }, sign: "ops" },
  });
  assert.equal(hs.status, 200, hs.text);
  const es1 = await call(f.base, "POST", `${P}/broadcast`, {
    body: { topic: "es:news", payload: { n: 2 }, sign: "prices.es", event: "price" },
  });
  assert.equal(es1.status, 200, es1.text);
  const m1 = await reader.next((m) => m.topic === "hs:news");
  assert.deepEqual(m1.payload, { n: 1 });
  await compactVerify(m1.jws, new TextEncoder().encode(SECRET));
  const m2 = await reader.next((m) => m.topic === "es:news");
  assert.deepEqual([m2.payload, m2.event], [{ n: 2 }, "price"]);
  const verified = await createPublicationVerifier({ keys: es.publicPem, checkFreshness: false })
    .verify("es:news", m2.jws);
  assert.equal(verified.ok, true);

  // Refusals: each a clear answer, nothing delivered, no key in any answer or audit entry.
  const refused: [unknown, number, string][] = [
    [{ topic: "hs:news", payload: 3, sign: "nope" }, 400, "BAD_REQUEST"],
    [{ topic: "hs:news", payload: 3, sign: SECRET }, 400, "BAD_REQUEST"],
    [{ topic: "hs:news", payload: 3, sign: { kty: "oct", k: "c2VjcmV0" } }, 400, "BAD_REQUEST"],
    [{ payload: 3, sign: "ops" }, 400, "BAD_REQUEST"],
    [{ topic: "hs:news", payload: 3 }, 400, "SIGNATURE_REQUIRED"],
    [{ topic: "hs:news", payload: 3, sign: "stale" }, 400, "SIGNATURE_INVALID"],
    [{ topic: "hs:news", payload: 3, sign: "prices.es" }, 400, "SIGNATURE_ALGORITHM"],
    [{ topic: "plain:news", payload: 3, sign: "ops" }, 400, "BAD_REQUEST"],
  ];
  for (const [body, status, code] of refused) {
    const res = await call(f.base, "POST", `${P}/broadcast`, { body });
    assert.deepEqual([res.status, res.json.code], [status, code], JSON.stringify(body));
    assert.equal(res.text.includes(SECRET), false);
  }
  const sentinel = await call(f.base, "POST", `${P}/broadcast`, {
    body: { topic: "plain:news", payload: "sentinel" },
  });
  assert.equal(sentinel.status, 200);
  assert.equal((await reader.next((m) => m.type === "message")).payload, "sentinel");
  const trail = JSON.stringify(f.audit);
  assert.equal(trail.includes(SECRET) || trail.includes(OTHER_SECRET), false);
  assert.deepEqual(
    f.audit.filter((e) => e.event === "admin.broadcast").map((e) => e.signedWith),
    ["ops", "prices.es", undefined],
  );
  assert.equal(f.audit.filter((e) => e.event === "admin.rejected").length, refused.length);
});

Deno.test("createAdminHandler refuses unusable signing keys at creation, naming the id, not the key", async () => {
  await using h = await startTestHub("deno");
  const bad: [Record<string, unknown>, RegExp, ErrorConstructor][] = [
    [{ ops: "short" }, /signing key 'ops' is unusable/, RangeError],
    [{ "bad id!": SECRET }, /signing key id "bad id!"/, TypeError],
    [{ ops: 42 }, /signing key 'ops' is unusable/, TypeError],
  ];
  for (const [signingKeys, message, type] of bad) {
    assert.throws(
      () =>
        createAdminHandler(h.hub, { apiKey: "an-admin-key-of-some-length", signingKeys } as never),
      (error: Error) =>
        error instanceof type && message.test(error.message) && !error.message.includes("short"),
    );
  }
});
