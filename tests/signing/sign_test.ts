// signPublication and createPublicationSigner: the claims they sign, and the keys they refuse.

import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { createPublicationSigner, signPublication } from "../../src/signing/sign.ts";
import { ed25519, es256, NOW_MS, NOW_S, SECRET } from "./_keys.ts";

Deno.test("signPublication signs topic, data, a random jti, iat and exp when asked", async () => {
  const now = () => NOW_MS + 400;
  const jws = await signPublication("orders:eu", { id: 7 }, SECRET, { now, expiresInMs: 30_000 });
  const claims = decodeJwt(jws);
  assert.deepEqual(
    { ...claims, jti: typeof claims.jti },
    { topic: "orders:eu", data: { id: 7 }, jti: "string", iat: NOW_S, exp: NOW_S + 31 },
  );
  assert.deepEqual(decodeProtectedHeader(jws), { alg: "HS256" });
  const again = decodeJwt(await signPublication("orders:eu", { id: 7 }, SECRET, { now }));
  assert.notEqual(again.jti, claims.jti);
  assert.equal(again.exp, undefined);
  assert.equal(decodeJwt(await signPublication("orders:eu", undefined, SECRET)).data, null);
});

Deno.test("createPublicationSigner picks the algorithm from the key and sets kid", async () => {
  assert.equal(createPublicationSigner((await es256()).privatePem).alg, "ES256");
  assert.equal(createPublicationSigner((await ed25519()).privateJwk).alg, "EdDSA");
  const signer = createPublicationSigner(SECRET, { alg: "HS384", kid: "k1" });
  assert.deepEqual(decodeProtectedHeader(await signer.sign("a:b", 1)), { alg: "HS384", kid: "k1" });
});

Deno.test("createPublicationSigner refuses public keys, mismatched algorithms and bad topics", async () => {
  const pair = await es256();
  assert.throws(() => createPublicationSigner(pair.publicPem), /a private key is needed/);
  assert.throws(() => createPublicationSigner(pair.publicJwk), /a private key is needed/);
  assert.throws(() => createPublicationSigner(pair.privatePem, { alg: "HS256" }), /supports ES256/);
  assert.throws(() => createPublicationSigner(SECRET, { alg: "ES256" }), /supports HS256/);
  assert.throws(
    () => createPublicationSigner(SECRET, { alg: "none" as "HS256" }),
    /alg 'none': it is not supported/,
  );
  assert.throws(
    () => createPublicationSigner("too short"),
    (e: Error) => e instanceof RangeError && !e.message.includes("too short"),
  );
  assert.throws(() => createPublicationSigner(SECRET, { expiresInMs: 0 }), RangeError);
  await assert.rejects(createPublicationSigner(SECRET).sign("chat:*", 1), TypeError);
});
