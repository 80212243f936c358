// Consistent hashing of topics onto shards: each shard owns many points on a
// 32-bit ring, a topic belongs to the first point at or after its hash. Adding
// a shard moves only about 1/n of the topics. Pure and deterministic, so every
// hub process maps a topic to the same shard.

const POINTS_PER_SHARD = 160;

/** FNV-1a, 32 bits: fast, and good enough spread for topic names. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so similar names spread over the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Builds the lookup from shard identities (their redacted URLs): the same
 * identities give the same mapping in every process, whatever their order.
 */
export function shardRing(identities: readonly string[]): (topic: string) => number {
  if (identities.length === 1) return () => 0;
  const points: { at: number; shard: number }[] = [];
  identities.forEach((identity, shard) => {
    for (let v = 0; v < POINTS_PER_SHARD; v++) {
      points.push({ at: hash32(`${identity}#${v}`), shard });
    }
  });
  points.sort((a, b) => a.at - b.at || a.shard - b.shard);
  const at = Uint32Array.from(points, (p) => p.at);
  const shard = Uint16Array.from(points, (p) => p.shard);
  return function shardOf(topic: string): number {
    const h = hash32(topic);
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return shard[lo === at.length ? 0 : lo];
  };
}
