import assert from "node:assert/strict";
import { compileAcl } from "../../src/acl/compile.ts";
import { validateTemplatePattern } from "../../src/acl/template.ts";
import { isPattern, validatePattern } from "../../src/topic/topic.ts";
import { ACL_ACTIONS, type AclRule } from "../../src/acl/rules.ts";
import type { Principal } from "../../src/auth/principal.ts";
import { pick, principal, prng } from "./_helpers.ts";
import { scan, summary, X, Y } from "./_pattern_scan.ts";

const SHORT = { segments: [1, 5], choices: ["a", "b", "*", "*"] };
/** Long segments, so the 255-character limit decides some overlaps and containments. */
const LONG = { segments: [3, 5], choices: [X, Y, "*"] };
/** Deep patterns, so the 16-segment limit decides some containments. */
const DEEP = { segments: [13, 16], choices: ["a", "a", "*"] };

/** A random valid pattern; with `templates`, segments may be `{sub}` or `{claims.org}`. */
function randomPattern(random: () => number, templates: boolean): string {
  for (;;) {
    const mode = pick(random, [SHORT, SHORT, LONG, LONG, DEEP]);
    const [min, max] = mode.segments;
    const n = min + Math.floor(random() * (max - min + 1));
    const choices = templates && mode !== DEEP
      ? [...mode.choices, "{sub}", "{claims.org}"]
      : mode.choices;
    const segments = Array.from({ length: n }, () => pick(random, choices));
    if (random() < 0.4) segments[n - 1] = "**";
    const pattern = segments.join(":");
    const problem = templates ? validateTemplatePattern(pattern) : validatePattern(pattern);
    if (problem === undefined) return pattern;
  }
}

function randomTarget(random: () => number): string {
  const target = randomPattern(random, false);
  if (isPattern(target)) return target;
  const segments = target.split(":");
  segments[Math.floor(random() * segments.length)] = "*";
  return segments.join(":");
}

function randomRule(random: () => number): AclRule {
  const topics = Array.from(
    { length: 1 + Math.floor(random() * 3) },
    () => randomPattern(random, true),
  );
  const actions = random() < 0.3 ? "*" : ACL_ACTIONS.filter(() => random() < 0.5);
  const roll = random();
  return {
    effect: random() < 0.15 ? "deny" : "allow",
    actions: actions.length === 0 ? ["subscribe"] : actions,
    topics,
    ...(roll < 0.2 ? { when: { roles: [pick(random, ["r1", "r2"])] } } : {}),
    ...(roll > 0.85 ? { when: { claims: { level: pick(random, [1, 2]) } } } : {}),
  };
}

function randomPrincipal(random: () => number): Principal {
  return principal({
    sub: pick(random, ["a", "b", X, "*", "a:b", ""]),
    roles: ["r1", "r2"].filter(() => random() < 0.5),
    claims: {
      org: pick(random, ["a", Y, 5, undefined, "**"]),
      level: pick(random, [1, 2, "1"]),
      acl: pick(random, [undefined, { "a:**": ["subscribe"] }, { "*:*": ["history", "presence"] }]),
    },
  });
}

Deno.test("compileAcl decide on pattern targets agrees with scanning every rule", () => {
  const random = prng(4242);
  const counts: Record<string, number> = {};
  const count = (key: string) => counts[key] = (counts[key] ?? 0) + 1;
  for (let round = 0; round < 120; round++) {
    const size = round % 10 === 0 ? 300 : 1 + Math.floor(random() * 8);
    const rules = Array.from({ length: size }, () => randomRule(random));
    const acl = compileAcl({ rules });
    for (let i = 0; i < 150; i++) {
      const who = randomPrincipal(random);
      const action = pick(random, ["subscribe", "presence", "history"] as const);
      const target = randomTarget(random);
      const want = scan(rules, who, action, target);
      assert.equal(
        summary(acl.decide(who, action, target)),
        want,
        `${JSON.stringify(rules)} ${JSON.stringify(who)} ${action} ${target}`,
      );
      count(want.split(" ")[0]);
      if (want.includes("{")) count("template");
      if (scan(rules, who, action, target, false) !== want) count("bounded");
    }
  }
  // Every outcome, template rules and the length limits must all be exercised, or agreeing proves little.
  for (const key of ["deny", "allow", "capability", "default", "template", "bounded"]) {
    assert.ok((counts[key] ?? 0) > 30, `${key}: ${JSON.stringify(counts)}`);
  }
});

/**
 * A target at the limits: 14 or 15 fixed segments then `**` (which can then
 * add one segment only, or two), or long segments padded so the whole
 * target has 253 to 255 characters. Some lose their `**`.
 */
function edgeTarget(random: () => number): string {
  for (;;) {
    let fixed: string[];
    if (random() < 0.4) {
      fixed = Array.from(
        { length: pick(random, [14, 15, 15]) },
        () => pick(random, ["a", "a", "b", "*"]),
      );
    } else {
      fixed = Array.from({ length: 2 + Math.floor(random() * 3) }, () => pick(random, [X, Y, "*"]));
      // The padding segment, then `:**`: a length of 255 leaves the `**` one character.
      const filler = 255 - pick(random, [0, 0, 1, 2]) - fixed.join(":").length - 4;
      if (filler < 1 || filler > 64) continue;
      fixed.push("f".repeat(filler));
    }
    const target = random() < 0.75 ? [...fixed, "**"].join(":") : fixed.join(":");
    if (isPattern(target) && validatePattern(target) === undefined) return target;
  }
}

/** A rule pattern made from `target`: wildcards narrowed or widened, literals changed, the tail varied. */
function nearPattern(random: () => number, target: string): string {
  const segments = target.split(":");
  const tail = segments.at(-1) === "**";
  if (tail) segments.pop();
  for (;;) {
    const body = segments.map((s) => {
      const r = random();
      if (s === "*") return r < 0.35 ? pick(random, [X, Y, "a"]) : "*";
      return r < 0.3 ? "*" : r < 0.4 ? "b" : r < 0.5 ? "{sub}" : s;
    });
    if (random() < 0.15) body.length = 1 + Math.floor(random() * body.length);
    const end = pick(random, tail ? ["**", "*", "*:*", "*:**", ""] : ["", "", "**", "*"]);
    const pattern = [...body, ...(end === "" ? [] : [end])].join(":");
    if (validateTemplatePattern(pattern) === undefined) return pattern;
  }
}

Deno.test("compileAcl decide on pattern targets at the length limits agrees with scanning every rule", () => {
  const random = prng(255);
  const counts: Record<string, number> = {};
  const count = (key: string) => counts[key] = (counts[key] ?? 0) + 1;
  for (let i = 0; i < 6_000; i++) {
    const target = edgeTarget(random);
    const rules: AclRule[] = Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({
      effect: random() < 0.35 ? "deny" : "allow",
      actions: pick(random, ["*", ["subscribe"], ["presence"]] as const),
      topics: Array.from(
        { length: 1 + Math.floor(random() * 2) },
        () => nearPattern(random, target),
      ),
    }));
    const who = principal({ sub: pick(random, ["a", "b", X, Y]) });
    const want = scan(rules, who, "subscribe", target);
    assert.equal(
      summary(compileAcl({ rules }).decide(who, "subscribe", target)),
      want,
      `${JSON.stringify(rules)} ${who.sub} ${target}`,
    );
    count(want.split(" ")[0]);
    const unbounded = scan(rules, who, "subscribe", target, false);
    if (unbounded !== want) count(unbounded.startsWith("deny") ? "deny-bound" : "allow-bound");
  }
  // Both kinds of limit-decided case must occur: overlaps too long to exist, `**` that can add one segment.
  for (const key of ["deny", "allow", "default", "deny-bound", "allow-bound"]) {
    assert.ok((counts[key] ?? 0) > 30, `${key}: ${JSON.stringify(counts)}`);
  }
});
