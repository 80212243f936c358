/**
 * Signed-publication micro-benchmarks: what the hub adds per signed
 * publication (one verification with freshness and replay checks, keys
 * imported once) and what a subscriber pays to verify one, for HS256, ES256
 * and EdDSA; and signing with a signer created once.
 *
 * Run: `deno bench --allow-env bench/signing_bench.ts`.
 *
 * @module
 */

import { generateKeyPair, type JwsAlgorithm } from "../src/auth/mod.ts";
import {
  createPublicationSigner,
  createPublicationVerifier,
  type PublicationKeys,
  type PublicationSigningKey,
} from "../src/signing/mod.ts";
import { BENCH_SECRET } from "./_config.ts";
import { SLOW_ITERATIONS } from "./_micro.ts";

const TOPIC = "prices:eur";
const PAYLOAD = { bid: 1.0812, ask: 1.0814, venue: "ecb", ts: 1_700_000_000_000 };
let sink: unknown;

async function keys(alg: JwsAlgorithm): Promise<[PublicationSigningKey, PublicationKeys]> {
  if (alg === "HS256") return [BENCH_SECRET, BENCH_SECRET];
  const key = await generateKeyPair(alg);
  if (key.kind !== "pair") throw new TypeError(`Expected a key pair for ${alg}`);
  return [key.privateJwk, key.publicJwk];
}

for (const alg of ["HS256", "ES256", "EdDSA"] as const) {
  const [signingKey, verifyingKeys] = await keys(alg);
  const signer = createPublicationSigner(signingKey);
  const jws = await signer.sign(TOPIC, PAYLOAD);
  // The hub's check: every publication has a fresh jti, so the hub verifier
  // gets a new one each iteration from a pool signed before timing.
  const pool = await Promise.all(Array.from({ length: 2_000 }, () => signer.sign(TOPIC, PAYLOAD)));
  // Every bench file is loaded before any runs: in a full run the pool is
  // minutes old by the time this one runs, past the replay window. The
  // verifier's clock stays at signing time, so every check still runs.
  const signedAt = Date.now();
  const now = () => signedAt;
  let next = 0;
  let hub = createPublicationVerifier({ keys: verifyingKeys, now });
  const subscriber = createPublicationVerifier({ keys: verifyingKeys, checkFreshness: false });
  if (!(await subscriber.verify(TOPIC, jws)).ok) throw new Error(`Setup failed for ${alg}`);

  Deno.bench({
    name: `hub verify ${alg} (freshness and replay checks)`,
    group: "signing-verify",
    ...SLOW_ITERATIONS,
    fn: async () => {
      if (next === pool.length) {
        next = 0;
        hub = createPublicationVerifier({ keys: verifyingKeys, now }); // a fresh replay memory
      }
      const result = await hub.verify(TOPIC, pool[next++]);
      if (!result.ok) throw new Error(result.message);
      sink = result;
    },
  });
  Deno.bench({
    name: `subscriber verify ${alg}`,
    group: "signing-verify",
    ...SLOW_ITERATIONS,
    fn: async () => {
      sink = await subscriber.verify(TOPIC, jws);
    },
  });
  Deno.bench({
    name: `sign ${alg}`,
    group: "signing-sign",
    ...SLOW_ITERATIONS,
    fn: async () => {
      sink = await signer.sign(TOPIC, PAYLOAD);
    },
  });
}

globalThis.addEventListener("unload", () => void sink);
