import assert from "node:assert/strict";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { authFailure, keyPair, now, NOW_S, sign } from "./_fixtures.ts";

const claims = { sub: "alice", exp: NOW_S + 60 };

/** A real JWKS endpoint on 127.0.0.1 whose key set and status can change, counting requests. */
async function jwksServer() {
  const first = await keyPair("ES256", "remote-1");
  const second = await keyPair("RS256", "remote-2");
  const state = {
    requests: 0,
    status: 200,
    keys: [{ ...first.publicJwk, kid: "k1" }] as unknown[],
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    state.requests++;
    if (state.status !== 200) return new Response("nope", { status: state.status });
    return Response.json({ keys: state.keys });
  });
  const url = `http://127.0.0.1:${server.addr.port}/.well-known/jwks.json`;
  return {
    state,
    url,
    rotate: () => state.keys.push({ ...second.publicJwk, kid: "k2" }),
    tokenK1: () => sign(claims, first.privateKey, { alg: "ES256", kid: "k1" }),
    tokenK2: () => sign(claims, second.privateKey, { alg: "RS256", kid: "k2" }),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("createTokenVerifier verifies against a remote JWKS and caches it", async () => {
  await using jwks = await jwksServer();
  const verifier = createTokenVerifier({ jwksUrl: jwks.url, now });
  assert.equal((await verifier.verify(await jwks.tokenK1())).sub, "alice");
  assert.equal((await verifier.verify(await jwks.tokenK1())).sub, "alice");
  assert.equal(jwks.state.requests, 1);
});

Deno.test("createTokenVerifier refetches a remote JWKS once when a new kid appears", async () => {
  await using jwks = await jwksServer();
  // jose's cooldown runs on the real clock: 0 lets the rotation be seen without sleeping.
  const verifier = createTokenVerifier({ jwksUrl: jwks.url, jwksCooldownMs: 0, now });
  await verifier.verify(await jwks.tokenK1());
  jwks.rotate();
  assert.equal((await verifier.verify(await jwks.tokenK2())).sub, "alice");
  assert.equal(jwks.state.requests, 2);
  await verifier.verify(await jwks.tokenK2());
  assert.equal(jwks.state.requests, 2);
});

Deno.test("createTokenVerifier fetches at most once more for a flood of unknown kids", async () => {
  await using jwks = await jwksServer();
  const verifier = createTokenVerifier({ jwksUrl: jwks.url, now });
  await verifier.verify(await jwks.tokenK1());
  const before = jwks.state.requests;
  const { privateKey } = await keyPair("ES256", "attacker");
  const flood = await Promise.all(
    Array.from({ length: 50 }, (_, i) => sign(claims, privateKey, { alg: "ES256", kid: `x${i}` })),
  );
  const failures = await Promise.all(flood.map((token) => authFailure(verifier.verify(token))));
  assert.ok(failures.every((error) => error.reason === "unknown_kid"));
  assert.ok(jwks.state.requests - before <= 1, `${jwks.state.requests - before} extra fetches`);
});

Deno.test("createTokenVerifier fetches a cold remote JWKS once for concurrent tokens", async () => {
  await using jwks = await jwksServer();
  const verifier = createTokenVerifier({ jwksUrl: jwks.url, now });
  const token = await jwks.tokenK1();
  const principals = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
  assert.equal(principals.length, 20);
  assert.equal(jwks.state.requests, 1);
});

Deno.test("createTokenVerifier reports jwks_unavailable when the JWKS server is down", async () => {
  const jwks = await jwksServer();
  const token = await jwks.tokenK1();
  const url = jwks.url;
  await jwks[Symbol.asyncDispose]();
  const verifier = createTokenVerifier({ jwksUrl: url, now });
  const error = await authFailure(verifier.verify(token));
  assert.equal(error.reason, "jwks_unavailable");
  assert.equal(error.code, "AUTH_FAILED");
  assert.ok(!String(error).includes(token));
});

Deno.test("createTokenVerifier reports jwks_unavailable for an HTTP error or a bad body", async () => {
  await using jwks = await jwksServer();
  jwks.state.status = 503;
  const verifier = createTokenVerifier({ jwksUrl: jwks.url, jwksCooldownMs: 0, now });
  assert.equal(
    (await authFailure(verifier.verify(await jwks.tokenK1()))).reason,
    "jwks_unavailable",
  );
  jwks.state.status = 200;
  jwks.state.keys = "not a key set" as unknown as unknown[];
  assert.equal(
    (await authFailure(verifier.verify(await jwks.tokenK1()))).reason,
    "jwks_unavailable",
  );
});

Deno.test("createTokenVerifier uses the injected fetch for a remote JWKS", async () => {
  const { publicJwk, privateKey } = await keyPair("ES256", "injected");
  const seen: string[] = [];
  const verifier = createTokenVerifier({
    jwksUrl: "https://idp.invalid/jwks",
    fetch: (input) => {
      seen.push(String(input));
      return Promise.resolve(Response.json({ keys: [{ ...publicJwk, kid: "a" }] }));
    },
    now,
  });
  const token = await sign(claims, privateKey, { alg: "ES256", kid: "a" });
  assert.equal((await verifier.verify(token)).sub, "alice");
  assert.deepEqual(seen, ["https://idp.invalid/jwks"]);
});

Deno.test("createTokenVerifier refuses a jwksUrl over http: to a non-loopback host at creation", () => {
  for (
    const url of ["http://idp.example.com/jwks.json", "http://10.0.0.5/jwks", "http://[::2]/k"]
  ) {
    assert.throws(() => createTokenVerifier({ jwksUrl: url }), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Cannot use 'jwksUrl' over http: for host '.+': use https:/);
      return true;
    });
  }
  for (
    const url of [
      "https://idp.example.com/jwks.json",
      "http://localhost:8080/k",
      "http://127.0.0.2/k",
      "http://[::1]:9/k",
    ]
  ) {
    createTokenVerifier({ jwksUrl: url });
  }
  createTokenVerifier({ jwksUrl: "http://idp.internal/jwks", allowInsecureJwks: true });
  assert.throws(
    () => createTokenVerifier({ jwksUrl: "https://a.test/k", allowInsecureJwks: "yes" as never }),
    TypeError,
  );
});

/** Serves an endless JWKS-looking body from a bounded generator, counting the bytes produced. */
function endlessJwks() {
  const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
  const state = { produced: 0, cancelled: false };
  const LIMIT = 1024 * chunk.byteLength; // 64 MiB at most, should the cap fail
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"keys":['));
      },
      pull(controller) {
        if (state.produced >= LIMIT) return controller.close();
        state.produced += chunk.byteLength;
        controller.enqueue(chunk);
      },
      cancel() {
        state.cancelled = true;
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  });
  return {
    state,
    url: `http://127.0.0.1:${server.addr.port}/jwks.json`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("createTokenVerifier stops reading a remote JWKS body past 1 MiB", async () => {
  await using jwks = endlessJwks();
  const { privateKey } = await keyPair("ES256", "endless");
  const verifier = createTokenVerifier({ jwksUrl: jwks.url, now });
  const token = await sign(claims, privateKey, { alg: "ES256", kid: "k1" });
  const error = await authFailure(verifier.verify(token));
  assert.equal(error.reason, "jwks_unavailable");
  // Read while streaming: the source stopped near the cap (plus socket buffers), far from 64 MiB.
  assert.ok(jwks.state.produced <= 12 * 1024 * 1024, `produced ${jwks.state.produced} bytes`);
});

Deno.test("createTokenVerifier gives up on a remote JWKS that stalls after its headers", async () => {
  const stalled = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    new Response(
      new ReadableStream({
        start: (c) => c.enqueue(new TextEncoder().encode('{"keys":[')),
        cancel: () => stalled.resolve(),
      }),
    ));
  try {
    const { privateKey } = await keyPair("ES256", "stall");
    const verifier = createTokenVerifier({
      jwksUrl: `http://127.0.0.1:${server.addr.port}/k`,
      jwksTimeoutMs: 200,
      now,
    });
    const token = await sign(claims, privateKey, { alg: "ES256", kid: "k1" });
    const started = performance.now();
    assert.equal((await authFailure(verifier.verify(token))).reason, "jwks_unavailable");
    assert.ok(performance.now() - started < 3000);
  } finally {
    await server.shutdown();
  }
});
