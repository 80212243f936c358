import assert from "node:assert/strict";
import {
  expandTemplatePattern,
  resolveTemplateRef,
  templateRefs,
  validateTemplatePattern,
} from "../../src/acl/template.ts";
import { compileAcl } from "../../src/acl/compile.ts";
import type { Principal } from "../../src/auth/principal.ts";
import { principal } from "./_helpers.ts";

Deno.test("validateTemplatePattern accepts whole-segment templates", () => {
  for (
    const p of [
      "user:{sub}",
      "org:{claims.org}:**",
      "{claims.a.b}",
      "{sub}:*",
      "x:{claims.team-id}",
    ]
  ) {
    assert.equal(validateTemplatePattern(p), undefined, p);
  }
});

Deno.test("validateTemplatePattern rejects partial or unknown templates", () => {
  const table: [string, string][] = [
    ["user-{sub}", "segment 1 'user-{sub}' mixes a template with text"],
    ["user:{sub", "segment 2 '{sub' mixes a template with text"],
    ["user:{name}", "segment 2 '{name}' is not a valid template: use {sub} or {claims.<path>}"],
    ["user:{claims}", "segment 2 '{claims}' is not a valid template"],
    ["user:{claims.}", "segment 2 '{claims.}' is not a valid template"],
    ["user:{claims.a..b}", "segment 2 '{claims.a..b}' is not a valid template"],
    ["user:{}", "segment 2 '{}' is not a valid template"],
    ["{sub}:**:x", "segment 2 is '**', which is only allowed as the last segment"],
  ];
  for (const [pattern, part] of table) {
    const message = validateTemplatePattern(pattern);
    assert.ok(
      message?.startsWith(`Invalid pattern '${pattern}': ${part}`),
      `${pattern}: ${message}`,
    );
  }
});

Deno.test("templateRefs lists references in order", () => {
  assert.deepEqual(templateRefs("org:{claims.org}:user:{sub}:**"), ["claims.org", "sub"]);
  assert.deepEqual(templateRefs("chat:*"), []);
});

const alice = principal({
  sub: "alice",
  claims: { org: "acme", n: 42, neg: -1.5, deep: { team: { id: "t1" } }, flag: true },
});

Deno.test("resolveTemplateRef reads sub and dotted claims, stringifying numbers", () => {
  assert.equal(resolveTemplateRef("sub", alice), "alice");
  assert.equal(resolveTemplateRef("claims.org", alice), "acme");
  assert.equal(resolveTemplateRef("claims.n", alice), "42");
  assert.equal(resolveTemplateRef("claims.neg", alice), "-1.5");
  assert.equal(resolveTemplateRef("claims.deep.team.id", alice), "t1");
});

Deno.test("resolveTemplateRef refuses values that are not one valid segment", () => {
  const values: unknown[] = [
    "a:*",
    "*",
    "**",
    "a:b",
    "",
    "x".repeat(65),
    "ö",
    { id: 1 },
    ["a"],
    true,
    null,
    NaN,
    Infinity,
  ];
  for (const value of values) {
    const p = principal({ claims: { v: value } });
    assert.equal(resolveTemplateRef("claims.v", p), undefined, String(value));
  }
  assert.equal(resolveTemplateRef("claims.missing", alice), undefined);
  assert.equal(resolveTemplateRef("claims.deep.missing.id", alice), undefined);
  assert.equal(resolveTemplateRef("claims.deep.__proto__", alice), undefined);
  assert.equal(resolveTemplateRef("claims.org.length", alice), undefined);
});

Deno.test("expandTemplatePattern fills every template or gives up", () => {
  assert.equal(expandTemplatePattern("org:{claims.org}:{sub}:**", alice), "org:acme:alice:**");
  assert.equal(expandTemplatePattern("chat:*", alice), "chat:*");
  assert.equal(expandTemplatePattern("org:{claims.missing}:**", alice), undefined);
});

const acl = compileAcl({
  rules: [
    { id: "own", effect: "allow", actions: "*", topics: ["user:{sub}", "user:{sub}:**"] },
    { id: "org", effect: "allow", actions: ["subscribe"], topics: ["org:{claims.org}:**"] },
  ],
});

const WIDENING_SUBS: unknown[] = ["a:*", "*", "**", "a:b", "", 42, undefined, null, {}];
const PROBES = ["user:a", "user:a:b", "user:a:x:y", "user:x", "user:42:x"];

Deno.test("compileAcl templates never widen for hostile or missing sub", () => {
  for (const sub of WIDENING_SUBS) {
    const p = { ...principal(), sub } as unknown as Principal;
    for (const topic of PROBES) {
      if (sub === 42 && topic.startsWith("user:42")) continue;
      const d = acl.decide(p, "subscribe", topic);
      assert.equal(d.allowed, false, `sub ${JSON.stringify(sub)} on ${topic}: ${d.message}`);
    }
    for (const pattern of ["user:*", "user:**", "user:a:*", "**"]) {
      assert.equal(acl.decide(p, "subscribe", pattern).allowed, false, `${sub} ${pattern}`);
    }
  }
});

Deno.test("compileAcl templates match the principal's own values", () => {
  const bob = principal({ sub: "bob", claims: { org: 7 } });
  assert.equal(acl.decide(bob, "publish", "user:bob").allowed, true);
  assert.equal(acl.decide(bob, "publish", "user:bob:inbox").allowed, true);
  assert.equal(acl.decide(bob, "publish", "user:alice").allowed, false);
  assert.equal(acl.decide(bob, "subscribe", "org:7:news").allowed, true);
  assert.equal(acl.decide(bob, "subscribe", "org:8:news").allowed, false);
  assert.equal(acl.decide(bob, "subscribe", "org:7").allowed, false);
  const numeric = { ...principal(), sub: 42 } as unknown as Principal;
  assert.equal(acl.decide(numeric, "subscribe", "user:42:x").allowed, true);
});

Deno.test("compileAcl template rules contain pattern subscriptions only within the principal's space", () => {
  const bob = principal({ sub: "bob", claims: { org: "acme" } });
  assert.equal(acl.decide(bob, "subscribe", "user:bob:*").allowed, true);
  assert.equal(acl.decide(bob, "subscribe", "user:bob:**").allowed, true);
  assert.equal(acl.decide(bob, "subscribe", "user:*").allowed, false);
  assert.equal(acl.decide(bob, "subscribe", "user:*:inbox").allowed, false);
  assert.equal(acl.decide(bob, "subscribe", "org:acme:**").allowed, true);
  assert.equal(acl.decide(bob, "subscribe", "org:*:**").allowed, false);
});

Deno.test("compileAcl claim templates refuse non-segment claim values", () => {
  for (const org of [{ id: 1 }, true, "a:b", "*", "", ["acme"]]) {
    const p = principal({ claims: { org } });
    for (const topic of ["org:a:b:x", "org:x:y", "org:true:x"]) {
      assert.equal(acl.decide(p, "subscribe", topic).allowed, false, `${org} ${topic}`);
    }
  }
});
