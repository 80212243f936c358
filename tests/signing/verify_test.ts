// createPublicationVerifier: a table of signed publications, each accepted or
// refused with the right stable code, with keys in every supported form.

import assert from "node:assert/strict";
import { base64url } from "jose";
import {
  createPublicationVerifier,
  type PublicationKeys,
  type PublicationVerification,
  type PublicationVerifierOptions,
} from "../../src/signing/verify.ts";
import { signPublication } from "../../src/signing/sign.ts";
import {
  claims,
  EC_CERT,
  EC_CERT_PRIVATE,
  ed25519,
  es256,
  NOW_MS,
  NOW_S,
  OTHER_SECRET,
  rs256,
  SECRET,
  SECRET_JWK,
  signClaims,
} from "./_keys.ts";
import { importPKCS8 } from "jose";

const TOPIC = "sensors:42";

interface Case {
  name: string;
  keys: () => Promise<PublicationKeys>;
  options?: Partial<PublicationVerifierOptions>;
  jws: () => Promise<string>;
  topic?: string;
  code: string | "ok";
}

const tamperPayload = (jws: string) => {
  const [h, , s] = jws.split(".");
  const forged = base64url.encode(JSON.stringify(claims(TOPIC, { data: { n: 1_000_000 } })));
  return `${h}.${forged}.${s}`;
};
const tamperSignature = (jws: string) => {
  const [h, p, s] = jws.split(".");
  const flipped = (s[0] === "A" ? "B" : "A") + s.slice(1);
  return `${h}.${p}.${flipped}`;
};
const unsigned = (header: Record<string, unknown>, body: Record<string, unknown>) =>
  `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(body))}.`;

const now = () => NOW_MS;
const CASES: Case[] = [
  {
    name: "valid HS256 with a string secret",
    keys: () => Promise.resolve(SECRET),
    jws: () => signPublication(TOPIC, { n: 1 }, SECRET, { now }),
    code: "ok",
  },
  {
    name: "valid HS512 with secret bytes",
    keys: () => Promise.resolve(new TextEncoder().encode(SECRET)),
    jws: () => signPublication(TOPIC, [1, 2], SECRET, { alg: "HS512", now }),
    code: "ok",
  },
  {
    name: "valid HS256 with an oct JWK",
    keys: () => Promise.resolve(SECRET_JWK),
    jws: () => signPublication(TOPIC, "text", SECRET_JWK, { now }),
    code: "ok",
  },
  {
    name: "valid ES256 with a PEM public key",
    keys: async () => (await es256()).publicPem,
    jws: async () => signPublication(TOPIC, { n: 1 }, (await es256()).privatePem, { now }),
    code: "ok",
  },
  {
    name: "valid ES256 with an X.509 certificate",
    keys: () => Promise.resolve(EC_CERT),
    jws: () => signPublication(TOPIC, null, EC_CERT_PRIVATE, { now }),
    code: "ok",
  },
  {
    name: "valid EdDSA with a public JWK",
    keys: async () => (await ed25519()).publicJwk,
    jws: async () => signPublication(TOPIC, { n: 1 }, (await ed25519()).privateJwk, { now }),
    code: "ok",
  },
  {
    name: "valid RS256 from a JWK set, picked by kid",
    keys: async () => ({
      keys: [{ ...(await es256()).publicJwk, kid: "ec" }, {
        ...(await rs256()).publicJwk,
        kid: "rsa",
      }],
    }),
    jws: async () =>
      signPublication(TOPIC, { n: 1 }, (await rs256()).privateJwk, { kid: "rsa", now }),
    code: "ok",
  },
  {
    name: "tampered payload",
    keys: () => Promise.resolve(SECRET),
    jws: async () => tamperPayload(await signPublication(TOPIC, { n: 1 }, SECRET, { now })),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "tampered signature",
    keys: async () => (await es256()).publicJwk,
    jws: async () =>
      tamperSignature(await signPublication(TOPIC, 1, (await es256()).privateJwk, { now })),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "alg none",
    keys: () => Promise.resolve(SECRET),
    jws: () => Promise.resolve(unsigned({ alg: "none" }, claims(TOPIC))),
    code: "SIGNATURE_ALGORITHM",
  },
  {
    name: "HS256 signed with the public key as the secret",
    keys: async () => (await es256()).publicPem,
    jws: async () => signClaims(claims(TOPIC), (await es256()).publicPem, { alg: "HS256" }),
    code: "SIGNATURE_ALGORITHM",
  },
  {
    name: "an algorithm the rule does not list",
    keys: () => Promise.resolve(SECRET),
    options: { algorithms: ["HS256"] },
    jws: () => signPublication(TOPIC, 1, SECRET, { alg: "HS384", now }),
    code: "SIGNATURE_ALGORITHM",
  },
  {
    name: "wrong secret",
    keys: () => Promise.resolve(SECRET),
    jws: () => signPublication(TOPIC, 1, OTHER_SECRET, { now }),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "wrong key pair",
    keys: async () => (await es256()).publicJwk,
    jws: async () =>
      signPublication(TOPIC, 1, await importPKCS8(EC_CERT_PRIVATE, "ES256"), {
        alg: "ES256",
        now,
      }),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "unknown kid in a JWK set",
    keys: async () => ({ keys: [{ ...(await es256()).publicJwk, kid: "a" }] }),
    jws: async () => signPublication(TOPIC, 1, (await es256()).privateJwk, { kid: "b", now }),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "mismatched topic claim",
    keys: () => Promise.resolve(SECRET),
    jws: () => signPublication("sensors:43", 1, SECRET, { now }),
    code: "SIGNATURE_TOPIC",
  },
  {
    name: "no topic claim",
    keys: () => Promise.resolve(SECRET),
    jws: () => signClaims({ ...claims(TOPIC), topic: undefined }, SECRET, { alg: "HS256" }),
    code: "SIGNATURE_TOPIC",
  },
  {
    name: "expired exp",
    keys: () => Promise.resolve(SECRET),
    jws: () =>
      signClaims(claims(TOPIC, { iat: NOW_S - 60, exp: NOW_S - 30 }), SECRET, { alg: "HS256" }),
    code: "SIGNATURE_EXPIRED",
  },
  {
    name: "exp within the clock tolerance",
    keys: () => Promise.resolve(SECRET),
    jws: () =>
      signClaims(claims(TOPIC, { iat: NOW_S - 60, exp: NOW_S - 2 }), SECRET, { alg: "HS256" }),
    code: "ok",
  },
  {
    name: "iat older than the replay window",
    keys: () => Promise.resolve(SECRET),
    options: { replayWindowMs: 60_000 },
    jws: () => signClaims(claims(TOPIC, { iat: NOW_S - 70 }), SECRET, { alg: "HS256" }),
    code: "SIGNATURE_EXPIRED",
  },
  {
    name: "iat in the future",
    keys: () => Promise.resolve(SECRET),
    jws: () => signClaims(claims(TOPIC, { iat: NOW_S + 60 }), SECRET, { alg: "HS256" }),
    code: "SIGNATURE_EXPIRED",
  },
  {
    name: "no jti",
    keys: () => Promise.resolve(SECRET),
    jws: () => signClaims({ ...claims(TOPIC), jti: undefined }, SECRET, { alg: "HS256" }),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "no iat",
    keys: () => Promise.resolve(SECRET),
    jws: () => signClaims({ ...claims(TOPIC), iat: undefined }, SECRET, { alg: "HS256" }),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "old and without jti, verified as a subscriber (no freshness checks)",
    keys: () => Promise.resolve(SECRET),
    options: { checkFreshness: false },
    jws: () =>
      signClaims({ topic: TOPIC, data: 1, iat: NOW_S - 86_400, exp: NOW_S - 3600 }, SECRET, {
        alg: "HS256",
      }),
    code: "ok",
  },
  {
    name: "oversize JWS",
    keys: () => Promise.resolve(SECRET),
    options: { maxJwsBytes: 1024 },
    jws: () => signPublication(TOPIC, "x".repeat(1024), SECRET, { now }),
    code: "SIGNATURE_TOO_LARGE",
  },
  {
    name: "not a compact JWS",
    keys: () => Promise.resolve(SECRET),
    jws: () => Promise.resolve("not a jws"),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "a header that is not JSON",
    keys: () => Promise.resolve(SECRET),
    jws: () => Promise.resolve(`${base64url.encode("not json")}.e30.c2ln`),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "a header that is a JSON array",
    keys: () => Promise.resolve(SECRET),
    jws: () => Promise.resolve(`${base64url.encode('["HS256"]')}.e30.c2ln`),
    code: "SIGNATURE_INVALID",
  },
  {
    name: "a header without alg",
    keys: () => Promise.resolve(SECRET),
    jws: () => Promise.resolve(unsigned({ typ: "JWT" }, claims(TOPIC))),
    code: "SIGNATURE_ALGORITHM",
  },
  {
    name: "a payload that is not a claims object",
    keys: () => Promise.resolve(SECRET),
    jws: async () => {
      const { CompactSign } = await import("jose");
      return await new CompactSign(new TextEncoder().encode("[1,2]"))
        .setProtectedHeader({ alg: "HS256" })
        .sign(new TextEncoder().encode(SECRET));
    },
    code: "SIGNATURE_INVALID",
  },
];

for (const c of CASES) {
  Deno.test(`createPublicationVerifier ${c.code === "ok" ? "accepts" : "refuses"} ${c.name}`, async () => {
    const verifier = createPublicationVerifier({ keys: await c.keys(), now, ...c.options });
    const jws = await c.jws();
    const result = await verifier.verify(c.topic ?? TOPIC, jws);
    assert.equal(result.ok ? "ok" : result.code, c.code, result.ok ? "" : result.message);
    if (result.ok) {
      assert.equal(result.jws, jws);
      assert.deepEqual(result.payload, result.claims.data ?? null);
    } else {
      // The message names what was wrong, never the JWS or any part of it.
      for (const part of jws.split(".")) {
        if (part.length > 8) assert.ok(!result.message.includes(part), result.message);
      }
      assert.ok(!result.message.includes(SECRET));
      assert.ok(!result.message.endsWith("."));
    }
  });
}

Deno.test("createPublicationVerifier refuses a replayed jti within the window and a stale one after", async () => {
  let at = NOW_MS;
  const verifier = createPublicationVerifier({
    keys: SECRET,
    replayWindowMs: 60_000,
    now: () => at,
  });
  const jws = await signPublication(TOPIC, 1, SECRET, { now: () => at });
  const codes = async () => {
    const r: PublicationVerification = await verifier.verify(TOPIC, jws);
    return r.ok ? "ok" : r.code;
  };
  assert.equal(await codes(), "ok");
  assert.equal(await codes(), "SIGNATURE_REPLAYED");
  at += 30_000;
  assert.equal(await codes(), "SIGNATURE_REPLAYED");
  at += 40_000; // past the window and the tolerance: stale, whatever the cache holds
  assert.equal(await codes(), "SIGNATURE_EXPIRED");
});

Deno.test("createPublicationVerifier accepts exactly one of concurrent copies of a publication", async () => {
  const verifier = createPublicationVerifier({ keys: SECRET, now });
  const jws = await signPublication(TOPIC, 1, SECRET, { now });
  const results = await Promise.all(Array.from({ length: 5 }, () => verifier.verify(TOPIC, jws)));
  assert.deepEqual(
    results.map((r) => r.ok ? "ok" : r.code).sort(),
    ["SIGNATURE_REPLAYED", "SIGNATURE_REPLAYED", "SIGNATURE_REPLAYED", "SIGNATURE_REPLAYED", "ok"],
  );
});

Deno.test("createPublicationVerifier bounds its replay cache and frees it as ids go stale", async () => {
  let at = NOW_MS;
  const verifier = createPublicationVerifier({
    keys: SECRET,
    replayWindowMs: 10_000,
    clockToleranceSec: 0,
    maxReplayEntries: 3,
    now: () => at,
  });
  const sign = () => signPublication(TOPIC, 1, SECRET, { now: () => at });
  for (let i = 0; i < 3; i++) assert.equal((await verifier.verify(TOPIC, await sign())).ok, true);
  const refused = await verifier.verify(TOPIC, await sign());
  assert.equal(refused.ok ? "ok" : refused.code, "RATE_LIMITED");
  at += 10_000;
  assert.equal((await verifier.verify(TOPIC, await sign())).ok, true);
});

Deno.test("createPublicationVerifier does not remember the jti of a refused publication", async () => {
  const verifier = createPublicationVerifier({ keys: SECRET, now });
  const body = claims(TOPIC);
  const wrongTopic = await signClaims({ ...body, topic: "sensors:1" }, SECRET, { alg: "HS256" });
  assert.equal((await verifier.verify(TOPIC, wrongTopic)).ok, false);
  assert.equal(
    (await verifier.verify(TOPIC, await signClaims(body, SECRET, { alg: "HS256" }))).ok,
    true,
  );
});

Deno.test("createPublicationVerifier derives the algorithm allowlist from the key type", async () => {
  assert.deepEqual(createPublicationVerifier({ keys: SECRET }).algorithms, [
    "HS256",
    "HS384",
    "HS512",
  ]);
  assert.deepEqual(createPublicationVerifier({ keys: (await es256()).publicPem }).algorithms, [
    "ES256",
  ]);
  assert.deepEqual(createPublicationVerifier({ keys: (await ed25519()).publicJwk }).algorithms, [
    "EdDSA",
    "Ed25519",
  ]);
});

Deno.test("createPublicationVerifier refuses unusable keys and options at creation", async () => {
  const pair = await es256();
  const cases: [
    Partial<PublicationVerifierOptions>,
    ErrorConstructor | RangeErrorConstructor,
    RegExp,
  ][] = [
    [
      { keys: pair.publicPem, algorithms: ["HS256"] },
      TypeError,
      /algorithm 'HS256' and a public key/,
    ],
    [{ keys: SECRET, algorithms: ["none"] }, TypeError, /algorithm 'none'/],
    [{ keys: SECRET, algorithms: ["RS256"] }, TypeError, /allows only HS256/],
    [{ keys: pair.privateJwk }, TypeError, /private key/],
    [{ keys: pair.privatePem }, TypeError, /private key/],
    [{ keys: "short" }, RangeError, /at least 32 bytes/],
    [{ keys: 42 as unknown as string }, TypeError, /of type number/],
    [{ keys: { keys: [] } }, TypeError, /empty/],
    [{ keys: SECRET, replayWindowMs: 10 }, RangeError, /replayWindowMs/],
    [{ keys: SECRET, maxJwsBytes: -1 }, RangeError, /maxJwsBytes/],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(
      () => createPublicationVerifier(options as PublicationVerifierOptions),
      (e: Error) => e instanceof type && message.test(e.message) && !e.message.includes("short"),
    );
  }
});
