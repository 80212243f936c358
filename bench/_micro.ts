/**
 * Shared settings of the `deno bench` files: `BENCH_QUICK=1` (set by
 * `deno task bench --quick`) caps iterations so the whole set takes seconds.
 *
 * @module
 */

/** Iteration caps for `Deno.bench`, empty (Deno's own adaptive count) in a full run. */
export const ITERATIONS: { n?: number; warmup?: number } = Deno.env.get("BENCH_QUICK") === "1"
  ? { n: 200_000, warmup: 50_000 }
  : {};

/** Iteration caps for benchmarks that take tens of microseconds or more. */
export const SLOW_ITERATIONS: { n?: number; warmup?: number } = Deno.env.get("BENCH_QUICK") === "1"
  ? { n: 1_000, warmup: 100 }
  : {};

/** The micro-benchmark the "cached ACL decision < 1 us" target reads. */
export const MICRO_CACHED = "cached decision (createDecisionCache hit)";

/** The micro-benchmark the "uncached vs 1,000 rules < 20 us" target reads. */
export const MICRO_UNCACHED_1000 = "uncached decision, 1,000 rules (capability after rules miss)";

/** The micro-benchmark of publish-to-delivery with no pattern subscriptions on the hub. */
export const MICRO_PATTERNS_0 = "publish-to-delivery, unrelated topic, 0 patterns";

/** The same with 100,000 distinct pattern subscriptions; the "within 1.2x" target reads both. */
export const MICRO_PATTERNS_100K = "publish-to-delivery, unrelated topic, 100,000 patterns";
