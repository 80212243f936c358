/**
 * Token verification micro-benchmarks: HS256, ES256 and EdDSA through
 * `createTokenVerifier`, keys imported once before timing.
 *
 * Run: `deno bench --allow-env bench/jwt_bench.ts`.
 *
 * @module
 */

import {
  createTokenVerifier,
  generateKeyPair,
  type JwsAlgorithm,
  mintToken,
} from "../src/auth/mod.ts";
import { BENCH_SECRET, benchClaims } from "./_config.ts";
import { SLOW_ITERATIONS } from "./_micro.ts";

const claims = benchClaims("u42");
let sink: unknown;

async function setup(alg: JwsAlgorithm) {
  if (alg === "HS256") {
    const token = await mintToken(claims, { secret: BENCH_SECRET }, { ttl: "2h" });
    return { token, verifier: createTokenVerifier({ secret: BENCH_SECRET, algorithms: [alg] }) };
  }
  const key = await generateKeyPair(alg);
  if (key.kind !== "pair") throw new TypeError(`Expected a key pair for ${alg}`);
  const token = await mintToken(claims, { privateKey: key.privateJwk, alg }, { ttl: "2h" });
  return { token, verifier: createTokenVerifier({ publicKey: key.publicJwk }) };
}

for (const alg of ["HS256", "ES256", "EdDSA"] as const) {
  const { token, verifier } = await setup(alg);
  await verifier.verify(token); // fails here, not in the timed loop, if the setup is wrong
  Deno.bench({
    name: `verify ${alg}`,
    group: "jwt",
    ...SLOW_ITERATIONS,
    fn: async () => {
      sink = await verifier.verify(token);
    },
  });
}

globalThis.addEventListener("unload", () => void sink);
