/**
 * ACL engine micro-benchmarks: the decision the hub takes for every publish
 * (cached per connection), uncached decisions against 10 and 1,000 rules for
 * topics and pattern subscriptions, and pattern matching and containment.
 *
 * Run: `deno bench --allow-env bench/acl_bench.ts`.
 *
 * @module
 */

import type { AclRule, Principal } from "../mod.ts";
import { createDecisionCache } from "../src/acl/decision_cache.ts";
import { matchPattern, patternContains } from "../src/protocol/mod.ts";
import { compileAcl } from "../src/acl/mod.ts";
import { BENCH_RULES, benchClaims } from "./_config.ts";
import { ITERATIONS, MICRO_CACHED, MICRO_UNCACHED_1000 } from "./_micro.ts";

const principal: Principal = {
  sub: "u42",
  roles: ["member"],
  claims: benchClaims("u42"),
  expiresAt: null,
};

/** 1,000 rules: the ten benchmark rules plus 990 that never match `room:u42` or `bench:*`. */
function thousandRules(): AclRule[] {
  const rules: AclRule[] = [];
  for (let i = 0; rules.length < 990; i++) {
    rules.push(
      i % 3 === 0
        ? { effect: "deny", actions: ["publish"], topics: [`locked${i}:**`] }
        : i % 3 === 1
        ? {
          effect: "allow",
          actions: "*",
          topics: [`team${i}:*:chat`],
          when: { roles: ["member"] },
        }
        : { effect: "allow", actions: ["subscribe"], topics: [`feed${i}:{sub}:**`] },
    );
  }
  return [...rules, ...BENCH_RULES];
}

const acl10 = compileAcl({ rules: BENCH_RULES });
const acl1000 = compileAcl({ rules: thousandRules() });
/**
 * The pattern index's worst case: 1,000 deny rules that all overlap `**` but
 * whose condition never holds, so every one of them is tested.
 */
const aclDenied1000 = compileAcl({
  rules: Array.from({ length: 1_000 }, (_, i): AclRule => ({
    effect: "deny",
    actions: "*",
    topics: [`t${i}:*:**`],
    when: { roles: ["banned"] },
  })),
});

// Mirrors the hub's per-connection cache: key = action NUL topic, value = a verdict object.
const cache = createDecisionCache<{ allowed: boolean }>({ max: 1024, ttlMs: 60_000 });
cache.set("publish\u0000bench:fanout", { allowed: true });
let sink: unknown;

Deno.bench({
  name: MICRO_CACHED,
  group: "acl",
  ...ITERATIONS,
  fn: () => {
    const action = "publish";
    const topic = "bench:fanout";
    sink = cache.get(action + "\u0000" + topic);
  },
});

Deno.bench({
  name: "uncached decision, 10 rules (template rule room:{sub})",
  group: "acl",
  ...ITERATIONS,
  fn: () => {
    sink = acl10.decide(principal, "publish", "room:u42");
  },
});

Deno.bench({
  name: "uncached decision, 10 rules (capability after rules miss)",
  group: "acl",
  ...ITERATIONS,
  fn: () => {
    sink = acl10.decide(principal, "publish", "bench:fanout");
  },
});

Deno.bench({
  name: MICRO_UNCACHED_1000,
  group: "acl",
  ...ITERATIONS,
  fn: () => {
    sink = acl1000.decide(principal, "publish", "bench:fanout");
  },
});

Deno.bench({
  name: "uncached decision, 1,000 rules (template rule room:{sub})",
  group: "acl",
  ...ITERATIONS,
  fn: () => {
    sink = acl1000.decide(principal, "subscribe", "room:u42");
  },
});

Deno.bench({
  name: "uncached pattern subscription, 1,000 rules (bench:*)",
  group: "acl",
  ...ITERATIONS,
  fn: () => {
    sink = acl1000.decide(principal, "subscribe", "bench:*");
  },
});

Deno.bench({
  name: "uncached pattern subscription, 1,000 rules (template rule feed500:{sub}:**)",
  group: "acl",
  ...ITERATIONS,
  fn: () => {
    sink = acl1000.decide(principal, "subscribe", "feed500:u42:*");
  },
});

Deno.bench({
  name: "uncached pattern subscription, 1,000 rules (** denied by system:**)",
  group: "acl",
  ...ITERATIONS,
  fn: () => {
    sink = acl1000.decide(principal, "subscribe", "**");
  },
});

Deno.bench({
  name: "uncached pattern subscription, 1,000 conditional deny rules (**)",
  group: "acl",
  ...ITERATIONS,
  fn: () => {
    sink = aclDenied1000.decide(principal, "subscribe", "**");
  },
});

Deno.bench({
  name: "matchPattern org:*:** vs org:acme:eng:ops",
  group: "pattern",
  ...ITERATIONS,
  fn: () => {
    sink = matchPattern("org:*:**", "org:acme:eng:ops");
  },
});

Deno.bench({
  name: "patternContains org:*:** ⊇ org:acme:*:ops",
  group: "pattern",
  ...ITERATIONS,
  fn: () => {
    sink = patternContains("org:*:**", "org:acme:*:ops");
  },
});

Deno.bench({
  name: "patternContains chat:* ⊉ chat:**",
  group: "pattern",
  ...ITERATIONS,
  fn: () => {
    sink = patternContains("chat:*", "chat:**");
  },
});

globalThis.addEventListener("unload", () => void sink);
