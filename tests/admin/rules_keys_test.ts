// Signed topics' secret keys stay off HTTP, over real HTTP on 127.0.0.1:
// GET /rules answers them by fingerprint, PUT /rules and POST /rules/check
// take the fingerprint back and refuse a secret, and the key in force keeps
// verifying publications after a round trip through the console's editor.

import assert from "node:assert/strict";
import type { AclRule } from "../../src/acl/rules.ts";
import { signPublication } from "../../src/signing/sign.ts";
import { es256, OTHER_SECRET, SECRET, SECRET_JWK } from "../signing/_keys.ts";
import { call, startAdmin } from "./_helpers.ts";

const P = "/v1/realtime";

async function rules(): Promise<AclRule[]> {
  return [
    { effect: "allow", actions: ["subscribe"], topics: ["**"] },
    { id: "hs", effect: "allow", actions: ["publish"], topics: ["hs:*"], signed: { keys: SECRET } },
    {
      id: "jwk",
      effect: "allow",
      actions: ["publish"],
      topics: ["jwk:*"],
      signed: { keys: SECRET_JWK },
    },
    {
      id: "es",
      effect: "allow",
      actions: ["publish"],
      topics: ["es:*"],
      signed: { keys: (await es256()).publicPem },
    },
    {
      id: "bytes",
      effect: "allow",
      actions: ["publish"],
      topics: ["bytes:*"],
      signed: { keys: new TextEncoder().encode(OTHER_SECRET) },
    },
  ];
}

const SECRET_K = SECRET_JWK.k!;

function leaks(text: string): boolean {
  return [SECRET, SECRET_K, OTHER_SECRET].some((secret) => text.includes(secret));
}

Deno.test("GET /rules answers a signed topic's secret key by fingerprint, a public key as it is", async () => {
  await using f = await startAdmin({}, { acl: { rules: await rules() } });
  const res = await call(f.base, "GET", `${P}/rules`);
  assert.equal(res.status, 200);
  assert.equal(leaks(res.text), false, res.text);
  const [, hs, jwk, es, bytes] = res.json.rules;
  assert.match(hs.signed.keys.fingerprint, /^sha256:[0-9a-f]{32}$/);
  assert.deepEqual(Object.keys(hs.signed.keys), ["fingerprint"]);
  assert.match(jwk.signed.keys.fingerprint, /^sha256:[0-9a-f]{32}$/);
  assert.notEqual(jwk.signed.keys.fingerprint, hs.signed.keys.fingerprint);
  assert.equal(es.signed.keys, (await es256()).publicPem);
  assert.match(bytes.signed.keys.fingerprint, /^sha256:[0-9a-f]{32}$/);
  assert.equal(leaks(JSON.stringify(f.audit)), false);
});

Deno.test("PUT /rules takes the fingerprints GET answered back, and the keys they name stay in force", async () => {
  await using f = await startAdmin({}, { acl: { rules: await rules() } });
  const shown = (await call(f.base, "GET", `${P}/rules`)).json.rules;
  // The console's round trip: edit the answer (one more rule), check it, apply it.
  const edited = [...shown, { effect: "deny", actions: ["publish"], topics: ["hs:closed"] }];
  const check = await call(f.base, "POST", `${P}/rules/check`, { body: { rules: edited } });
  assert.equal(check.status, 200, check.text);
  assert.equal(check.json.errors, 0, check.text);
  const put = await call(f.base, "PUT", `${P}/rules`, { body: { rules: edited } });
  assert.deepEqual([put.status, put.json], [200, { rules: 6 }]);
  assert.equal(f.h.hub.rules[1].signed?.keys, SECRET);
  assert.deepEqual(f.h.hub.rules[2].signed?.keys, SECRET_JWK);
  assert.ok(f.h.hub.rules[4].signed?.keys instanceof Uint8Array);
  assert.equal(leaks((await call(f.base, "GET", `${P}/rules`)).text), false);

  // A publication signed with the secret is still accepted on hs:*.
  const publisher = await f.open("pub", { "hs:*": ["publish"] });
  const jws = await signPublication("hs:news", { n: 1 }, SECRET);
  const ack = await publisher.request({ type: "publish", id: 1, topic: "hs:news", jws });
  assert.equal(ack.type, "ack", JSON.stringify(ack));
});

Deno.test("PUT /rules and POST /rules/check refuse a secret key sent over HTTP, or a fingerprint the hub does not hold", async () => {
  await using f = await startAdmin({}, { acl: { rules: await rules() } });
  const before = f.h.hub.rules;
  const sent: [string, unknown][] = [
    ["a shared secret", OTHER_SECRET],
    ["an oct JWK", { kty: "oct", k: SECRET_K }],
    ["a JWK set holding an oct key", { keys: [{ kty: "oct", k: SECRET_K }] }],
    ["a private PEM key", (await es256()).privatePem],
  ];
  for (const [what, keys] of sent) {
    const body = {
      rules: [{
        id: "new",
        effect: "allow",
        actions: ["publish"],
        topics: ["x:*"],
        signed: { keys },
      }],
    };
    for (const [method, path] of [["PUT", "/rules"], ["POST", "/rules/check"]]) {
      const res = await call(f.base, method, `${P}${path}`, { body });
      if (what === "bytes, as JSON") {
        // Not a key at all: refused as such, and never echoed.
        assert.equal(res.status, 400, `${what} ${method}`);
      } else {
        assert.equal(res.status, 400, `${what} ${method}: ${res.text}`);
        assert.match(
          res.json.message,
          /signed\.keys holds a secret key, which is never sent over HTTP/,
        );
      }
      assert.equal(leaks(res.text), false, `${what} ${method}: ${res.text}`);
    }
  }
  const unknown = {
    rules: [{
      effect: "allow",
      actions: ["publish"],
      topics: ["x:*"],
      signed: { keys: { fingerprint: `sha256:${"0".repeat(32)}` } },
    }],
  };
  for (const [method, path] of [["PUT", "/rules"], ["POST", "/rules/check"]]) {
    const res = await call(f.base, method, `${P}${path}`, { body: unknown });
    assert.equal(res.status, 400, res.text);
    assert.match(res.json.message, /names the key sha256:0{32}, which this hub does not hold/);
  }
  assert.equal(f.h.hub.rules, before, "nothing changed");
  assert.equal(leaks(JSON.stringify(f.audit)), false);
});
