import assert from "node:assert/strict";
import { createTokenVerifier, type JwtOptions } from "../../src/auth/verify.ts";
import { mintToken } from "../../src/auth/mint.ts";
import {
  b64url,
  EC_CERT,
  EC_CERT_PRIVATE,
  keyPair,
  now,
  NOW_S,
  SECRET,
  secretBytes,
  sign,
} from "./_fixtures.ts";

const claims = { sub: "alice", roles: ["member"], exp: NOW_S + 60 };

for (const alg of ["HS256", "HS384", "HS512"]) {
  Deno.test(`createTokenVerifier verifies ${alg} from a string and a Uint8Array secret`, async () => {
    const token = await sign(claims, secretBytes, { alg });
    for (const secret of [SECRET, secretBytes]) {
      const principal = await createTokenVerifier({ secret, now }).verify(token);
      assert.deepEqual(principal, {
        sub: "alice",
        roles: ["member"],
        claims,
        expiresAt: (NOW_S + 60) * 1000,
      });
    }
  });
}

for (const alg of ["RS256", "PS256", "ES256", "ES384", "EdDSA", "Ed25519"]) {
  Deno.test(`createTokenVerifier verifies ${alg} from PEM, JWK and a local JWKS`, async () => {
    const pair = await keyPair(alg === "Ed25519" ? "EdDSA" : alg);
    const token = await sign(claims, pair.privateKey, { alg, kid: "k1" });
    const sources: JwtOptions[] = [
      { publicKey: pair.publicPem },
      { publicKey: pair.publicJwk },
      { jwks: { keys: [{ ...pair.publicJwk, kid: "k0" }, { ...pair.publicJwk, kid: "k1" }] } },
    ];
    for (const source of sources) {
      const verifier = createTokenVerifier({ ...source, now });
      assert.ok(verifier.algorithms.includes(alg));
      assert.equal((await verifier.verify(token)).sub, "alice");
    }
  });
}

Deno.test("createTokenVerifier verifies ES256 against an X.509 certificate", async () => {
  const token = await mintToken({ sub: "alice" }, { privateKey: EC_CERT_PRIVATE, alg: "ES256" }, {
    now,
  });
  const verifier = createTokenVerifier({ publicKey: EC_CERT, now });
  assert.deepEqual(verifier.algorithms, ["ES256"]);
  assert.equal((await verifier.verify(token)).sub, "alice");
});

Deno.test("createTokenVerifier derives the allowlist from the key type", async () => {
  const allowed = (options: JwtOptions) => [...createTokenVerifier(options).algorithms];
  assert.deepEqual(allowed({ secret: SECRET }), ["HS256", "HS384", "HS512"]);
  assert.deepEqual(allowed({ publicKey: (await keyPair("RS256")).publicPem }), [
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
  ]);
  assert.deepEqual(allowed({ publicKey: (await keyPair("ES384")).publicJwk }), ["ES384"]);
  assert.deepEqual(allowed({ publicKey: (await keyPair("EdDSA")).publicPem }), [
    "EdDSA",
    "Ed25519",
  ]);
  const jwks = {
    keys: [(await keyPair("ES256")).publicJwk, {
      ...(await keyPair("RS256")).publicJwk,
      alg: "PS256",
    }],
  };
  assert.deepEqual(allowed({ jwks }), ["PS256", "ES256"]);
  const remote = allowed({ jwksUrl: "https://idp.test/jwks" });
  assert.ok(remote.length > 0 && remote.every((alg) => !alg.startsWith("HS")));
});

Deno.test("createTokenVerifier rejects inconsistent options at creation", async () => {
  const rsa = await keyPair("RS256");
  const cases: [JwtOptions, ErrorConstructor | RangeErrorConstructor, RegExp][] = [
    [{}, TypeError, /exactly one of/],
    [
      { secret: SECRET, publicKey: rsa.publicPem },
      TypeError,
      /2 key sources \(secret, publicKey\)/,
    ],
    [{ publicKey: rsa.publicPem, algorithms: ["RS256", "HS256"] }, TypeError, /'HS256'/],
    [{ jwksUrl: "https://idp.test/jwks", algorithms: ["HS256"] }, TypeError, /'HS256'/],
    [{ secret: SECRET, algorithms: ["RS256"] }, TypeError, /'RS256'/],
    [{ secret: SECRET, algorithms: ["none"] }, TypeError, /'none'/],
    [{ secret: SECRET, algorithms: [] }, TypeError, /non-empty/],
    [{ secret: "short" }, RangeError, /5 bytes: at least 32 bytes/],
    [{ publicKey: rsa.privatePem }, TypeError, /private key/],
    [{ publicKey: rsa.privateJwk }, TypeError, /private key/],
    [
      { publicKey: "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----" },
      TypeError,
      /SPKI/,
    ],
    [{ publicKey: "not a key" }, TypeError, /PEM/],
    [{ jwks: { keys: [rsa.privateJwk] } }, TypeError, /only public keys/],
    [{ jwks: { keys: [] } }, TypeError, /empty/],
    [{ jwksUrl: "ftp://idp.test/jwks" }, TypeError, /ftp:/],
    [{ jwksUrl: "/relative" }, TypeError, /absolute/],
    [{ secret: SECRET, clockToleranceSec: -1 }, RangeError, /clockToleranceSec' is -1/],
    [{ secret: SECRET, maxTokenBytes: 0 }, RangeError, /maxTokenBytes/],
    [{ secret: SECRET, issuer: "" }, TypeError, /issuer/],
    [{ secret: SECRET, audience: [] }, TypeError, /audience/],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(() => createTokenVerifier(options), (error: Error) => {
      assert.ok(error instanceof type, `${error} for ${Object.keys(options)}`);
      assert.match(error.message, message);
      assert.ok(!error.message.includes(SECRET));
      return true;
    });
  }
});

Deno.test("createTokenVerifier never prints a short secret in its RangeError", () => {
  const secret = "hunter2-but-short";
  assert.throws(() => createTokenVerifier({ secret }), (error: Error) => {
    assert.ok(error instanceof RangeError);
    assert.ok(!String(error).includes(secret));
    return true;
  });
});

Deno.test("createTokenVerifier requires exp by default and accepts none only with requireExp: false", async () => {
  const token = await sign({ sub: "svc" }, secretBytes, { alg: "HS256" });
  await assert.rejects(
    createTokenVerifier({ secret: SECRET }).verify(token),
    { reason: "invalid", code: "AUTH_FAILED" },
  );
  const optedOut = createTokenVerifier({ secret: SECRET, requireExp: false });
  assert.equal((await optedOut.verify(token)).expiresAt, null);
});

Deno.test("createTokenVerifier refuses tokens living longer than maxTokenLifetimeSec or without iat", async () => {
  const verifier = createTokenVerifier({ secret: SECRET, maxTokenLifetimeSec: 3600, now });
  const token = (claims: Record<string, unknown>) =>
    sign({ sub: "a", ...claims }, secretBytes, { alg: "HS256" });
  assert.equal((await verifier.verify(await token({ iat: NOW_S, exp: NOW_S + 3600 }))).sub, "a");
  for (
    const claims of [{ iat: NOW_S, exp: NOW_S + 3601 }, { exp: NOW_S + 60 }, { iat: NOW_S }]
  ) {
    await assert.rejects(verifier.verify(await token(claims)), { reason: "invalid" });
  }
  // Even with requireExp: false, a lifetime bound needs exp.
  const lax = createTokenVerifier({
    secret: SECRET,
    requireExp: false,
    maxTokenLifetimeSec: 60,
    now,
  });
  await assert.rejects(lax.verify(await token({ iat: NOW_S })), { reason: "invalid" });
  assert.throws(
    () => createTokenVerifier({ secret: SECRET, maxTokenLifetimeSec: 0 }),
    RangeError,
  );
});

Deno.test("createTokenVerifier accepts any of several issuers and audiences", async () => {
  const verifier = createTokenVerifier({
    secret: SECRET,
    issuer: ["a", "b"],
    audience: ["hub", "api"],
    now,
  });
  const token = await sign({ ...claims, iss: "b", aud: ["other", "api"] }, secretBytes, {
    alg: "HS256",
  });
  assert.equal((await verifier.verify(token)).sub, "alice");
});

Deno.test("createTokenVerifier honours a smaller maxTokenBytes", async () => {
  const token = await sign(claims, secretBytes, { alg: "HS256" });
  const verifier = createTokenVerifier({ secret: SECRET, maxTokenBytes: token.length - 1, now });
  await assert.rejects(verifier.verify(token), { reason: "too_large" });
});

Deno.test("createTokenVerifier reports a weak RSA key as a TypeError, not an AuthError", async () => {
  const weak = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const publicKey = await crypto.subtle.exportKey("jwk", weak.publicKey);
  const verifier = createTokenVerifier({ publicKey, algorithms: ["RS256"] });
  // The key is resolved before the signature is checked, so any RS256-shaped token will do.
  const token = `${b64url('{"alg":"RS256"}')}.${b64url('{"sub":"a"}')}.c2ln`;
  await assert.rejects(verifier.verify(token), {
    name: "TypeError",
    message: /1024 bits: RSA keys need at least 2048/,
  });
});
