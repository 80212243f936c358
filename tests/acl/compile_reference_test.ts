import assert from "node:assert/strict";
import { compileAcl } from "../../src/acl/compile.ts";
import { matchPattern, patternContains, patternsOverlap } from "../../src/topic/pattern.ts";
import { expandTemplatePattern } from "../../src/acl/template.ts";
import { isPattern } from "../../src/topic/topic.ts";
import { ACL_ACTIONS, type AclAction, type AclRule } from "../../src/acl/rules.ts";
import type { Principal } from "../../src/auth/principal.ts";
import { pick, prng } from "./_helpers.ts";
import { holds } from "./_pattern_scan.ts";

const SMALL = ["a", "b", "c", "d", "e", "f"];
const LARGE = Array.from({ length: 30 }, (_, i) => `l${i}`);

/** Rules over `literals`; `wild` is the chance a segment is a wildcard or template. */
function randomRule(random: () => number, literals: string[], wild: number): AclRule {
  const topics = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
    const n = 1 + Math.floor(random() * 4);
    const segments = Array.from(
      { length: n },
      (_, i) =>
        random() < wild && (i > 0 || wild > 0.2)
          ? pick(random, ["*", "*", "{sub}", "{claims.org}"])
          : pick(random, literals),
    );
    if (random() < wild && (n > 1 || wild > 0.2)) segments[n - 1] = "**";
    return segments.join(":");
  });
  const actions = random() < 0.2 ? "*" : ACL_ACTIONS.filter(() => random() < 0.4);
  const roll = random();
  return {
    effect: random() < wild / 4 ? "deny" : "allow",
    actions: actions.length === 0 ? ["publish"] : actions,
    topics,
    ...(roll < 0.2 ? { when: { roles: [pick(random, ["r1", "r2", "r3"])] } } : {}),
    ...(roll > 0.85 ? { when: { claims: { level: pick(random, [1, 2]) } } } : {}),
    ...(random() < 0.5 ? { id: `rule-${Math.floor(random() * 1e6)}` } : {}),
  };
}

function randomPrincipal(random: () => number): Principal {
  return {
    sub: pick(random, ["a", "b", "c", "a:*", "**", ""]),
    roles: ["r1", "r2", "r3"].filter(() => random() < 0.3),
    claims: {
      org: pick(random, ["a", "d", 5, undefined, { x: 1 }, "a:b"]),
      level: pick(random, [1, 2, "1"]),
      acl: pick(random, [
        undefined,
        { "a:*": ["subscribe"], "l0:*": ["subscribe", "publish"] },
        { "**": ["history", "presence"] },
      ]),
    },
    expiresAt: null,
  };
}

function randomTarget(random: () => number, literals: string[]): string {
  const n = 1 + Math.floor(random() * 4);
  const segments = Array.from({ length: n }, () => pick(random, [...literals, "5", "*"]));
  if (random() < 0.15) segments[n - 1] = "**";
  return segments.join(":");
}

/** The naive reference: scan every rule and pattern in order, twice. */
function reference(rules: AclRule[], p: Principal, action: AclAction, target: string) {
  const concrete = !isPattern(target);
  if (!concrete && action === "publish") return { allowed: false, reason: "invalid" };
  for (const effect of ["deny", "allow"] as const) {
    for (const [index, rule] of rules.entries()) {
      if (rule.effect !== effect || !holds(rule, p)) continue;
      if (rule.actions !== "*" && !rule.actions.includes(action)) continue;
      for (const pattern of rule.topics) {
        const expanded = expandTemplatePattern(pattern, p);
        if (expanded === undefined) continue;
        const hit = concrete
          ? matchPattern(expanded, target)
          : effect === "deny"
          ? patternsOverlap(expanded, target)
          : patternContains(expanded, target);
        if (hit) return { allowed: effect === "allow", reason: "rule", index, pattern };
      }
    }
  }
  const caps = (p.claims.acl ?? {}) as Record<string, string[]>;
  for (const [pattern, actions] of Object.entries(caps)) {
    const hit = concrete ? matchPattern(pattern, target) : patternContains(pattern, target);
    if (hit && actions.includes(action)) return { allowed: true, reason: "capability", pattern };
  }
  return { allowed: false, reason: "default" };
}

Deno.test("compileAcl decide agrees with a naive scan over 1,000 random rules", () => {
  const random = prng(2024);
  const counts: Record<string, number> = {};
  for (let round = 0; round < 2; round++) {
    const rules = Array.from({ length: 1_000 }, () => randomRule(random, LARGE, 0.1));
    const acl = compileAcl({ rules });
    for (let i = 0; i < 2_000; i++) {
      const p = randomPrincipal(random);
      const action = pick(random, ACL_ACTIONS);
      const target = randomTarget(random, LARGE);
      const got = acl.decide(p, action, target);
      const want = reference(rules, p, action, target);
      const seen = {
        allowed: got.allowed,
        reason: got.reason,
        ...(got.rule ? { index: got.rule.index, pattern: got.rule.pattern } : {}),
        ...(got.capability ? { pattern: got.capability } : {}),
      };
      assert.deepEqual(seen, want, `${JSON.stringify(p)} ${action} ${target}`);
      const key = `${got.reason}:${got.allowed}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  // The generator must exercise every outcome, or the agreement proves little.
  for (
    const key of ["rule:true", "rule:false", "capability:true", "default:false", "invalid:false"]
  ) {
    assert.ok((counts[key] ?? 0) > 20, `${key}: ${JSON.stringify(counts)}`);
  }
});

Deno.test("compileAcl decide agrees with a naive scan over sparse random rules", () => {
  const random = prng(99);
  for (let round = 0; round < 20; round++) {
    const rules = Array.from(
      { length: 1 + Math.floor(random() * 30) },
      () => randomRule(random, SMALL, 0.3),
    );
    const acl = compileAcl({ rules });
    for (let i = 0; i < 500; i++) {
      const p = randomPrincipal(random);
      const action = pick(random, ACL_ACTIONS);
      const target = randomTarget(random, SMALL);
      const got = acl.decide(p, action, target);
      const want = reference(rules, p, action, target);
      assert.equal(got.allowed, want.allowed, `${JSON.stringify(rules)} ${action} ${target}`);
      assert.equal(got.reason, want.reason);
      assert.equal(got.rule?.index, (want as { index?: number }).index);
    }
  }
});
