import assert from "node:assert/strict";
import { generateKeyPair, readKeyFile } from "../../src/auth/keys.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { EC_CERT, EC_CERT_PRIVATE, keyPair, now } from "./_fixtures.ts";

async function withFile<T>(content: string, use: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, content);
    return await use(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("readKeyFile reads PEM and JWK keys of each kind", async () => {
  const rsa = await keyPair("RS256");
  const ed = await keyPair("EdDSA");
  const rows: [string, string, string[]][] = [
    [rsa.privatePem, "private", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]],
    [rsa.publicPem, "public", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]],
    [EC_CERT, "public", ["ES256"]],
    [EC_CERT_PRIVATE, "private", ["ES256"]],
    [JSON.stringify(ed.privateJwk), "private", ["EdDSA", "Ed25519"]],
    [JSON.stringify(ed.publicJwk), "public", ["EdDSA", "Ed25519"]],
    [JSON.stringify({ keys: [ed.publicJwk, rsa.publicJwk] }), "jwks", [
      "EdDSA",
      "Ed25519",
      "RS256",
      "RS384",
      "RS512",
      "PS256",
      "PS384",
      "PS512",
    ]],
    [JSON.stringify({ kty: "oct", k: "a".repeat(43) }), "secret", ["HS256", "HS384", "HS512"]],
  ];
  for (const [content, kind, algorithms] of rows) {
    const file = await withFile(content, readKeyFile);
    assert.equal(file.kind, kind, content.slice(0, 40));
    assert.deepEqual(file.algorithms, algorithms);
  }
});

Deno.test("readKeyFile gives a private key's public JWK, which verifies its tokens", async () => {
  const { privatePem } = await keyPair("ES384");
  const file = await withFile(privatePem, readKeyFile);
  assert.equal(file.kind, "private");
  if (file.kind !== "private") return;
  assert.equal(file.publicJwk.d, undefined);
  const token = await mintToken({ sub: "a" }, { privateKey: file.privateKey, alg: "ES384" }, {
    now,
  });
  assert.equal(
    (await createTokenVerifier({ publicKey: file.publicJwk, now }).verify(token)).sub,
    "a",
  );
});

Deno.test("readKeyFile rejects unusable files without printing key material", async () => {
  const { privateJwk, privatePem } = await keyPair("RS256");
  const body = privatePem.split("\n")[1];
  const rows: [string, RegExp][] = [
    ["hello", /expected PEM, a JWK or a JWK set/],
    [privatePem.replace(/PRIVATE KEY/g, "RSA PRIVATE KEY"), /PKCS#8/],
    [privatePem.replace(body, body.slice(0, 20) + "!!" + body.slice(22)), /PEM/],
    [JSON.stringify({ keys: [privateJwk] }), /only public keys/],
    [JSON.stringify({ kty: "oct", k: "c2hvcnQ" }), /at least 32 bytes/],
    [JSON.stringify({ kty: "EC", crv: "P-521", x: "AA", y: "AA" }), /curve 'P-521'/],
  ];
  for (const [content, message] of rows) {
    await assert.rejects(withFile(content, readKeyFile), (error: Error) => {
      assert.ok(error instanceof TypeError || error instanceof RangeError, String(error));
      assert.match(error.message, message);
      assert.ok(!error.message.includes(body.slice(0, 20)));
      return true;
    });
  }
});

for (const alg of ["RS256", "PS256", "ES256", "ES384", "EdDSA"] as const) {
  Deno.test(`generateKeyPair makes a working ${alg} pair with a thumbprint kid`, async () => {
    const key = await generateKeyPair(alg);
    assert.equal(key.kind, "pair");
    if (key.kind !== "pair") return;
    assert.equal(key.publicJwk.kid, key.kid);
    assert.equal(key.publicJwk.d, undefined);
    assert.ok(typeof key.privateJwk.d === "string");
    const token = await mintToken({ sub: "a" }, { privateKey: key.privateJwk, alg }, {
      kid: key.kid,
      now,
    });
    const verifier = createTokenVerifier({ jwks: { keys: [key.publicJwk] }, now });
    assert.equal((await verifier.verify(token)).sub, "a");
  });
}

Deno.test("generateKeyPair makes a random secret as long as the HMAC hash", async () => {
  for (const [alg, length] of [["HS256", 32], ["HS384", 48], ["HS512", 64]] as const) {
    const key = await generateKeyPair(alg);
    assert.equal(key.kind, "secret");
    if (key.kind === "secret") assert.equal(key.secret.length, length);
  }
  await assert.rejects(generateKeyPair("none" as "HS256"), TypeError);
});
