import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { mintToken } from "../../src/auth/mint.ts";
import { parseDuration } from "../../src/auth/duration.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { keyPair, now, NOW_MS, NOW_S, SECRET } from "./_fixtures.ts";

Deno.test("parseDuration reads whole numbers with a unit", () => {
  const rows: [string, number][] = [
    ["30s", 30_000],
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["7d", 604_800_000],
    ["250ms", 250],
    ["0s", 0],
  ];
  for (const [text, ms] of rows) assert.equal(parseDuration(text), ms, text);
});

Deno.test("parseDuration rejects anything else with a RangeError naming the value", () => {
  for (
    const text of [
      "",
      "15",
      "1.5h",
      "-1s",
      " 1s",
      "1 s",
      "1S",
      "1w",
      "h",
      "1h30m",
      "9".repeat(20) + "d",
    ]
  ) {
    assert.throws(() => parseDuration(text), (error: Error) => {
      assert.ok(error instanceof RangeError, text);
      assert.ok(error.message.includes(`'${text.slice(0, 32)}'`), error.message);
      return true;
    });
  }
  assert.throws(() => parseDuration(15 as unknown as string), RangeError);
});

Deno.test("mintToken round-trips through createTokenVerifier with a secret", async () => {
  const token = await mintToken(
    { sub: "alice", roles: ["admin"], acl: { "room/*": ["subscribe"] }, org: "acme" },
    { secret: SECRET },
    { ttl: "1h", iss: "hub", aud: "clients", kid: "dev", now },
  );
  assert.deepEqual(decodeProtectedHeader(token), { alg: "HS256", typ: "JWT", kid: "dev" });
  const principal = await createTokenVerifier({
    secret: SECRET,
    issuer: "hub",
    audience: "clients",
    now,
  })
    .verify(token);
  assert.equal(principal.sub, "alice");
  assert.deepEqual(principal.roles, ["admin"]);
  assert.deepEqual(principal.claims.acl, { "room/*": ["subscribe"] });
  assert.equal(principal.claims.org, "acme");
  assert.equal(principal.claims.iat, NOW_S);
  assert.equal(principal.expiresAt, NOW_MS + 3_600_000);
});

Deno.test("mintToken takes ttl in seconds and defaults to 15 minutes", async () => {
  const secret = { secret: SECRET };
  assert.equal(decodeJwt(await mintToken({ sub: "a" }, secret, { ttl: 90, now })).exp, NOW_S + 90);
  assert.equal(decodeJwt(await mintToken({ sub: "a" }, secret, { now })).exp, NOW_S + 900);
});

for (const alg of ["HS384", "HS512"] as const) {
  Deno.test(`mintToken signs ${alg} with a secret`, async () => {
    const token = await mintToken({ sub: "a" }, { secret: SECRET }, { alg, now });
    assert.equal(decodeProtectedHeader(token).alg, alg);
    assert.equal((await createTokenVerifier({ secret: SECRET, now }).verify(token)).sub, "a");
  });
}

for (const alg of ["RS256", "PS256", "ES256", "ES384", "EdDSA"] as const) {
  Deno.test(`mintToken signs ${alg} with a PEM and a JWK private key`, async () => {
    const pair = await keyPair(alg);
    for (const privateKey of [pair.privatePem, pair.privateJwk]) {
      const token = await mintToken({ sub: "a" }, { privateKey, alg }, { now });
      assert.equal(decodeProtectedHeader(token).alg, alg);
      const verifier = createTokenVerifier({ publicKey: pair.publicJwk, now });
      assert.equal((await verifier.verify(token)).sub, "a");
    }
  });
}

Deno.test("mintToken rejects bad claims, keys and ttl without printing the secret", async () => {
  const rsa = await keyPair("RS256");
  const cases: [Promise<string>, ErrorConstructor | RangeErrorConstructor, RegExp][] = [
    [mintToken({ sub: "" }, { secret: SECRET }), TypeError, /'sub' is 0 characters/],
    [mintToken({ sub: "a", exp: 1 }, { secret: SECRET }), TypeError, /'exp' claim: set 'ttl'/],
    [
      mintToken({ sub: "a", roles: "admin" as unknown as string[] }, { secret: SECRET }),
      TypeError,
      /roles/,
    ],
    [mintToken({ sub: "a" }, { secret: "short" }), RangeError, /at least 32 bytes/],
    [mintToken({ sub: "a" }, { secret: SECRET }, { ttl: "soon" }), RangeError, /'soon'/],
    [mintToken({ sub: "a" }, { secret: SECRET }, { ttl: 0 }), RangeError, /ttl '0'/],
    [
      mintToken({ sub: "a" }, { secret: SECRET }, { alg: "RS256" }),
      TypeError,
      /'RS256' and a secret/,
    ],
    [
      mintToken({ sub: "a" }, { privateKey: rsa.publicPem, alg: "RS256" }),
      TypeError,
      /not an asymmetric private key/,
    ],
    [
      mintToken({ sub: "a" }, { privateKey: rsa.privatePem, alg: "ES256" }),
      TypeError,
      /supports RS256/,
    ],
    [
      mintToken({ sub: "a" }, { privateKey: rsa.privatePem, alg: "RS256" }, { alg: "PS256" }),
      TypeError,
      /'PS256'/,
    ],
  ];
  for (const [promise, type, message] of cases) {
    await assert.rejects(promise, (error: Error) => {
      assert.ok(error instanceof type, String(error));
      assert.match(error.message, message);
      assert.ok(!error.message.includes(SECRET) && !error.message.includes("short"));
      return true;
    });
  }
});
