import assert from "node:assert/strict";
import type { AuthFailureReason } from "../../src/auth/errors.ts";
import { createTokenVerifier, type TokenVerifier } from "../../src/auth/verify.ts";
import {
  authFailure,
  b64url,
  keyPair,
  now,
  NOW_S,
  SECRET,
  secretBytes,
  sign,
} from "./_fixtures.ts";

interface AttackRow {
  name: string;
  token: () => Promise<string>;
  verifier: () => Promise<TokenVerifier>;
  reason: AuthFailureReason;
}

const claims = { sub: "alice", iss: "https://issuer.test", aud: "hub", exp: NOW_S + 60 };
const hsVerifier = () =>
  Promise.resolve(createTokenVerifier({
    secret: SECRET,
    issuer: "https://issuer.test",
    audience: "hub",
    now,
  }));
const hs = (payload: Record<string, unknown> = claims, alg = "HS256") =>
  sign(payload, secretBytes, { alg, typ: "JWT" });
const swap = (token: string, index: number, part: string) =>
  token.split(".").map((p, i) => i === index ? part : p).join(".");

const ATTACKS: AttackRow[] = [
  {
    name: "alg none (unsigned)",
    token: () =>
      Promise.resolve(`${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}.`),
    verifier: hsVerifier,
    reason: "alg_not_allowed",
  },
  {
    name: "HS256 signed with the RSA public key PEM as secret",
    token: async () => {
      const { publicPem } = await keyPair("RS256");
      return sign(claims, new TextEncoder().encode(publicPem), { alg: "HS256" });
    },
    verifier: async () =>
      createTokenVerifier({ publicKey: (await keyPair("RS256")).publicPem, now }),
    reason: "alg_not_allowed",
  },
  {
    name: "tampered payload",
    token: async () => swap(await hs(), 1, b64url(JSON.stringify({ ...claims, sub: "admin" }))),
    verifier: hsVerifier,
    reason: "bad_signature",
  },
  {
    name: "tampered signature",
    token: async () => {
      const token = await hs();
      const signature = token.split(".")[2];
      const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
      return swap(token, 2, flipped);
    },
    verifier: hsVerifier,
    reason: "bad_signature",
  },
  {
    name: "expired",
    token: () => hs({ ...claims, exp: NOW_S - 60 }),
    verifier: hsVerifier,
    reason: "expired",
  },
  {
    name: "not yet valid",
    token: () => hs({ ...claims, nbf: NOW_S + 60 }),
    verifier: hsVerifier,
    reason: "not_yet_valid",
  },
  {
    name: "wrong iss",
    token: () => hs({ ...claims, iss: "https://evil.test" }),
    verifier: hsVerifier,
    reason: "bad_issuer",
  },
  {
    name: "wrong aud",
    token: () => hs({ ...claims, aud: "other-service" }),
    verifier: hsVerifier,
    reason: "bad_audience",
  },
  {
    name: "unknown kid in a JWKS",
    token: async () =>
      sign(claims, (await keyPair("ES256", "other")).privateKey, {
        alg: "ES256",
        kid: "nobody-knows-me",
      }),
    verifier: async () => {
      const { publicJwk } = await keyPair("ES256");
      return createTokenVerifier({ jwks: { keys: [{ ...publicJwk, kid: "k1" }] }, now });
    },
    reason: "unknown_kid",
  },
  {
    name: "truncated to two parts",
    token: async () => (await hs()).split(".").slice(0, 2).join("."),
    verifier: hsVerifier,
    reason: "malformed",
  },
  {
    name: "non-base64url characters",
    token: async () => swap(await hs(), 1, "eyJzdWIiOiJhbGljZSJ9$%^"),
    verifier: hsVerifier,
    reason: "malformed",
  },
  {
    name: "oversize (over 8 KiB)",
    token: () => hs({ ...claims, padding: "x".repeat(9000) }),
    verifier: hsVerifier,
    reason: "too_large",
  },
  {
    name: "header not JSON",
    token: async () => swap(await hs(), 0, b64url("{not json")),
    verifier: hsVerifier,
    reason: "malformed",
  },
  {
    name: "header a JSON array",
    token: async () => swap(await hs(), 0, b64url('["HS256"]')),
    verifier: hsVerifier,
    reason: "malformed",
  },
  {
    // RFC 7515 requires `alg`: without it (or as a non-string) the header is malformed.
    name: "header without alg",
    token: async () => swap(await hs(), 0, b64url('{"typ":"JWT"}')),
    verifier: hsVerifier,
    reason: "malformed",
  },
  {
    name: "header alg not a string",
    token: async () => swap(await hs(), 0, b64url('{"alg":["HS256"],"typ":"JWT"}')),
    verifier: hsVerifier,
    reason: "malformed",
  },
  {
    name: "empty string",
    token: () => Promise.resolve(""),
    verifier: hsVerifier,
    reason: "missing",
  },
  {
    name: "missing sub",
    token: () => hs({ ...claims, sub: undefined }),
    verifier: hsVerifier,
    reason: "missing_sub",
  },
  {
    name: "sub over 256 characters",
    token: () => hs({ ...claims, sub: "a".repeat(257) }),
    verifier: hsVerifier,
    reason: "missing_sub",
  },
  {
    name: "alg not in the allowlist (HS512 when only HS256)",
    token: () => hs(claims, "HS512"),
    verifier: () =>
      Promise.resolve(createTokenVerifier({ secret: SECRET, algorithms: ["HS256"], now })),
    reason: "alg_not_allowed",
  },
];

for (const row of ATTACKS) {
  Deno.test(`createTokenVerifier rejects ${row.name} with reason ${row.reason}`, async () => {
    const verifier = await row.verifier();
    const error = await authFailure(verifier.verify(await row.token()));
    assert.equal(error.reason, row.reason);
    assert.equal(error.code, row.reason === "expired" ? "TOKEN_EXPIRED" : "AUTH_FAILED");
  });
}

Deno.test("AuthError never contains the token or the secret, for every attack", async () => {
  for (const row of ATTACKS) {
    const token = await row.token();
    const error = await authFailure((await row.verifier()).verify(token));
    for (
      const shown of [error.message, String(error), Deno.inspect(error), JSON.stringify(error)]
    ) {
      if (token.length > 0) assert.ok(!shown.includes(token), `${row.name} leaks the token`);
      for (const part of token.split(".").filter((p) => p.length > 8)) {
        assert.ok(!shown.includes(part), `${row.name} leaks part of the token`);
      }
      assert.ok(!shown.includes(SECRET), `${row.name} leaks the secret`);
    }
  }
});

Deno.test("createTokenVerifier rejects an oversize token before any decoding or key lookup", async () => {
  let fetches = 0;
  const verifier = createTokenVerifier({
    jwksUrl: "https://jwks.invalid/keys",
    fetch: () => {
      fetches++;
      return Promise.reject(new Error("unreachable"));
    },
  });
  const oversize = "x".repeat(8193); // not even base64url-shaped: size wins over format
  assert.equal((await authFailure(verifier.verify(oversize))).reason, "too_large");
  assert.equal(fetches, 0);
});

Deno.test("createTokenVerifier refuses a token at its exp, without the clock tolerance", async () => {
  const token = await hs({ ...claims, exp: NOW_S });
  const at = (ms: number) =>
    createTokenVerifier({ secret: SECRET, issuer: claims.iss, audience: "hub", now: () => ms });
  // The hub closes a connection at exp: letting an expired token through the
  // tolerance would only open a connection to close it at once.
  assert.equal((await at(NOW_S * 1000 - 1).verify(token)).sub, "alice");
  assert.equal((await authFailure(at(NOW_S * 1000).verify(token))).reason, "expired");
  assert.equal((await authFailure(at((NOW_S + 2) * 1000).verify(token))).reason, "expired");
});

Deno.test("createTokenVerifier honours clock tolerance at the nbf edge", async () => {
  const token = await hs({ ...claims, nbf: NOW_S });
  const at = (ms: number, clockToleranceSec?: number) =>
    createTokenVerifier({
      secret: SECRET,
      issuer: claims.iss,
      audience: "hub",
      clockToleranceSec,
      now: () => ms,
    });
  assert.equal((await at((NOW_S - 5) * 1000).verify(token)).sub, "alice");
  assert.equal((await authFailure(at((NOW_S - 6) * 1000).verify(token))).reason, "not_yet_valid");
  assert.equal(
    (await authFailure(at((NOW_S - 1) * 1000, 0).verify(token))).reason,
    "not_yet_valid",
  );
});

Deno.test("createTokenVerifier refuses an alg outside the allowlist before any key lookup", async () => {
  // A remote JWKS allows asymmetric algorithms only: an HS256 token must be
  // refused by the allowlist (the header read by jose, not trusted) before
  // the key set is fetched or a signature checked.
  let fetches = 0;
  const verifier = createTokenVerifier({
    jwksUrl: "https://jwks.invalid/keys",
    fetch: () => {
      fetches++;
      return Promise.reject(new Error("unreachable"));
    },
    now,
  });
  assert.equal((await authFailure(verifier.verify(await hs()))).reason, "alg_not_allowed");
  const none = `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify(claims))}.`;
  assert.equal((await authFailure(verifier.verify(none))).reason, "alg_not_allowed");
  assert.equal(fetches, 0);
});
