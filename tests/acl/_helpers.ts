/** Shared test helpers: a seeded PRNG and a principal builder. */

import type { Principal } from "../../src/auth/principal.ts";

/** mulberry32: a tiny deterministic PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks one element of `items` with `random`. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** A principal with the given fields. */
export function principal(fields: Partial<Principal> = {}): Principal {
  return { sub: "alice", roles: [], claims: {}, expiresAt: null, ...fields };
}
