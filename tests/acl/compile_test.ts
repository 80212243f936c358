import assert from "node:assert/strict";
import { compileAcl } from "../../src/acl/compile.ts";
import type { AclAction, AclOptions, AclRule } from "../../src/acl/rules.ts";
import type { Principal } from "../../src/auth/principal.ts";
import { principal } from "./_helpers.ts";

const bob = principal({ sub: "bob", roles: ["member"], claims: { org: { id: "acme" }, level: 3 } });

Deno.test("compileAcl denies by default and says what was asked", () => {
  assert.deepEqual(compileAcl({}).decide(bob, "subscribe", "chat:lobby"), {
    allowed: false,
    reason: "default",
    message: "denied by default: no rule or capability allows subscribe on 'chat:lobby'",
  });
});

Deno.test("compileAcl lets deny rules win over allow rules in any order", () => {
  const allow: AclRule = { id: "chat", effect: "allow", actions: "*", topics: ["chat:**"] };
  const deny: AclRule = {
    id: "ro",
    effect: "deny",
    actions: ["publish"],
    topics: ["chat:announce"],
  };
  for (const rules of [[allow, deny], [deny, allow]]) {
    const acl = compileAcl({ rules });
    const d = acl.decide(bob, "publish", "chat:announce");
    assert.equal(d.allowed, false);
    assert.equal(d.reason, "rule");
    assert.deepEqual(d.rule, {
      index: rules.indexOf(deny),
      id: "ro",
      effect: "deny",
      pattern: "chat:announce",
    });
    assert.equal(
      d.message,
      `denied by rule #${rules.indexOf(deny)} 'ro' (deny publish chat:announce)`,
    );
    assert.equal(acl.decide(bob, "subscribe", "chat:announce").allowed, true);
    assert.equal(acl.decide(bob, "publish", "chat:lobby").allowed, true);
  }
});

Deno.test("compileAcl names the first matching rule and its first matching pattern", () => {
  const acl = compileAcl({
    rules: [
      { effect: "allow", actions: ["history"], topics: ["**"] },
      { effect: "allow", actions: ["subscribe"], topics: ["x:*", "chat:lobby", "chat:*"] },
      { id: "later", effect: "allow", actions: ["subscribe"], topics: ["chat:*"] },
    ],
  });
  assert.deepEqual(acl.decide(bob, "subscribe", "chat:lobby"), {
    allowed: true,
    reason: "rule",
    rule: { index: 1, effect: "allow", pattern: "chat:lobby" },
    message: "allowed by rule #1 (allow subscribe chat:lobby)",
  });
  assert.equal(acl.decide(bob, "subscribe", "chat:other").rule?.pattern, "chat:*");
});

Deno.test("compileAcl applies role conditions as any-of", () => {
  const acl = compileAcl({
    rules: [{
      effect: "allow",
      actions: "*",
      topics: ["mod:*"],
      when: { roles: ["admin", "mod"] },
    }],
  });
  assert.equal(acl.decide(principal({ roles: ["mod"] }), "publish", "mod:x").allowed, true);
  assert.equal(acl.decide(principal({ roles: ["x", "admin"] }), "publish", "mod:x").allowed, true);
  assert.equal(acl.decide(principal({ roles: ["member"] }), "publish", "mod:x").allowed, false);
  assert.equal(acl.decide(principal({ roles: [] }), "publish", "mod:x").allowed, false);
  const odd = { ...principal(), roles: "admin" } as unknown as Principal;
  assert.equal(acl.decide(odd, "publish", "mod:x").allowed, false);
});

Deno.test("compileAcl applies claim conditions as all-of with dotted paths and strict equality", () => {
  const acl = compileAcl({
    rules: [{
      effect: "allow",
      actions: ["subscribe"],
      topics: ["org:**"],
      when: { claims: { "org.id": "acme", level: 3 } },
    }],
  });
  assert.equal(acl.decide(bob, "subscribe", "org:x").allowed, true);
  const table: Record<string, unknown>[] = [
    { org: { id: "acme" }, level: "3" },
    { org: { id: "other" }, level: 3 },
    { org: "acme", level: 3 },
    { "org.id": "acme", level: 3 },
    { level: 3 },
    {},
  ];
  for (const claims of table) {
    assert.equal(
      acl.decide(principal({ claims }), "subscribe", "org:x").allowed,
      false,
      JSON.stringify(claims),
    );
  }
});

Deno.test("compileAcl ignores deny rules whose condition does not hold", () => {
  const acl = compileAcl({
    rules: [
      { effect: "deny", actions: "*", topics: ["chat:**"], when: { roles: ["banned"] } },
      { effect: "allow", actions: "*", topics: ["chat:**"] },
    ],
  });
  assert.equal(acl.decide(bob, "publish", "chat:a").allowed, true);
  assert.equal(acl.decide(principal({ roles: ["banned"] }), "publish", "chat:a").allowed, false);
});

Deno.test("compileAcl reports invalid targets with the validation message", () => {
  const acl = compileAcl({ rules: [{ effect: "allow", actions: "*", topics: ["**"] }] });
  const table: [AclAction, string, string][] = [
    ["publish", "chat:*", "Cannot publish to pattern 'chat:*': a concrete topic is required"],
    ["publish", "**", "Cannot publish to pattern '**': a concrete topic is required"],
    [
      "subscribe",
      "ch*",
      "Invalid pattern 'ch*': segment 1 'ch*' contains '*': a wildcard must be a whole segment",
    ],
    [
      "publish",
      "ch*",
      "Invalid pattern 'ch*': segment 1 'ch*' contains '*': a wildcard must be a whole segment",
    ],
    [
      "subscribe",
      "a:**:b",
      "Invalid pattern 'a:**:b': segment 2 is '**', which is only allowed as the last segment",
    ],
    ["subscribe", "a::b", "Invalid topic 'a::b': segment 2 is empty"],
    ["history", "", "Invalid topic '': it is empty"],
    [
      "subscribe",
      "x".repeat(300),
      `Invalid topic '${"x".repeat(64)}…': it has 300 characters: at most 255 are allowed`,
    ],
    [
      "read" as AclAction,
      "chat:a",
      "Unknown action 'read': expected subscribe, publish, presence, history",
    ],
  ];
  for (const [action, target, message] of table) {
    assert.deepEqual(acl.decide(bob, action, target), {
      allowed: false,
      reason: "invalid",
      message,
    });
  }
  assert.equal(acl.decide(bob, "subscribe", 42 as unknown as string).reason, "invalid");
});

Deno.test("compileAcl allows a pattern only when one allow pattern contains it", () => {
  const acl = compileAcl({
    rules: [
      { effect: "allow", actions: ["subscribe", "presence"], topics: ["chat:*", "news:**"] },
      { effect: "allow", actions: ["subscribe"], topics: ["pair:a", "pair:b"] },
    ],
  });
  const allowed = (action: AclAction, target: string) => acl.decide(bob, action, target).allowed;
  assert.equal(allowed("subscribe", "chat:*"), true);
  assert.equal(allowed("presence", "chat:*"), true);
  assert.equal(allowed("history", "chat:*"), false);
  assert.equal(allowed("subscribe", "chat:**"), false);
  assert.equal(allowed("subscribe", "*:lobby"), false);
  assert.equal(allowed("subscribe", "news:*:*"), true);
  assert.equal(allowed("subscribe", "news:**"), true);
  assert.equal(allowed("subscribe", "**"), false);
  // Not a string prefix test: newsroom is not under news.
  assert.equal(allowed("subscribe", "newsroom:*"), false);
  // Documented approximation: containment in a union is not computed.
  assert.equal(allowed("subscribe", "pair:a"), true);
  assert.equal(allowed("subscribe", "pair:*"), false);
});

Deno.test("compileAcl denies a pattern that any deny rule overlaps", () => {
  const acl = compileAcl({
    rules: [
      { effect: "allow", actions: "*", topics: ["chat:**"] },
      { id: "secret", effect: "deny", actions: ["subscribe"], topics: ["chat:secret:*"] },
    ],
  });
  assert.deepEqual(acl.decide(bob, "subscribe", "chat:**"), {
    allowed: false,
    reason: "rule",
    rule: { index: 1, id: "secret", effect: "deny", pattern: "chat:secret:*" },
    message: "denied by rule #1 'secret' (deny subscribe chat:secret:*)",
  });
  assert.equal(acl.decide(bob, "subscribe", "chat:*:x").allowed, false);
  assert.equal(acl.decide(bob, "subscribe", "chat:*").allowed, true);
  assert.equal(acl.decide(bob, "subscribe", "chat:public:*").allowed, true);
  assert.equal(acl.decide(bob, "subscribe", "chat:*:*:*").allowed, true);
  assert.equal(acl.decide(bob, "history", "chat:**").allowed, true);
});

Deno.test("compileAcl keeps frozen copies of the rules", () => {
  const rules: AclRule[] = [{ effect: "allow", actions: ["subscribe"], topics: ["a"] }];
  const acl = compileAcl({ rules });
  (rules[0].topics as string[]).push("b");
  rules.push({ effect: "allow", actions: "*", topics: ["**"] });
  assert.equal(acl.rules.length, 1);
  assert.deepEqual(acl.rules[0].topics, ["a"]);
  assert.ok(Object.isFrozen(acl.rules[0]));
  assert.equal(acl.decide(bob, "subscribe", "b").allowed, false);
});

Deno.test("compileAcl throws TypeError naming the rule and the bad value", () => {
  const rule = { effect: "allow", actions: "*", topics: ["a"] };
  const table: [unknown, string][] = [
    [null, "Invalid ACL options: expected an object, got null"],
    [{ rules: {} }, "Invalid ACL options: rules must be an array, got object"],
    [
      { capabilityClaim: "" },
      "Invalid ACL options: capabilityClaim must be a non-empty string or false, got ''",
    ],
    [
      { capabilityClaim: true },
      "Invalid ACL options: capabilityClaim must be a non-empty string or false, got boolean",
    ],
    [{ rules: ["x"] }, "Invalid ACL rule #0: expected an object, got string"],
    [
      { rules: [rule, { ...rule, effect: "permit" }] },
      "Invalid ACL rule #1: effect must be 'allow' or 'deny', got 'permit'",
    ],
    [
      { rules: [{ ...rule, id: "t", actions: ["read"] }] },
      "Invalid ACL rule #0 't': actions[0] is unknown action 'read': expected subscribe, publish, presence, history",
    ],
    [
      { rules: [{ ...rule, actions: [] }] },
      "Invalid ACL rule #0: actions is empty: list at least one action or use '*'",
    ],
    [
      { rules: [{ ...rule, actions: "all" }] },
      "Invalid ACL rule #0: actions must be '*' or an array of actions, got 'all'",
    ],
    [
      { rules: [{ ...rule, topics: [] }] },
      "Invalid ACL rule #0: topics is empty: list at least one pattern",
    ],
    [
      { rules: [{ ...rule, topics: "a" }] },
      "Invalid ACL rule #0: topics must be an array of patterns, got string",
    ],
    [
      { rules: [{ ...rule, topics: ["a", "ch*"] }] },
      "Invalid ACL rule #0: topics[1] 'ch*' is not a valid pattern: segment 1 'ch*' contains '*': a wildcard must be a whole segment",
    ],
    [
      { rules: [{ ...rule, topics: ["u:{user}"] }] },
      "Invalid ACL rule #0: topics[0] 'u:{user}' is not a valid pattern: segment 2 '{user}' is not a valid template: use {sub} or {claims.<path>}",
    ],
    [{ rules: [{ ...rule, topic: "a" }] }, "Invalid ACL rule #0: unknown field 'topic'"],
    [{ rules: [{ ...rule, id: 5 }] }, "Invalid ACL rule #0: id must be a string, got number"],
    [
      { rules: [{ ...rule, when: { role: "x" } }] },
      "Invalid ACL rule #0: when has unknown field 'role'",
    ],
    [
      { rules: [{ ...rule, when: { roles: [] } }] },
      "Invalid ACL rule #0: when.roles is empty, so the rule could never apply",
    ],
    [
      { rules: [{ ...rule, when: { roles: "admin" } }] },
      "Invalid ACL rule #0: when.roles must be an array of strings, got string",
    ],
    [
      { rules: [{ ...rule, when: { claims: { a: {} } } }] },
      "Invalid ACL rule #0: when.claims['a'] must be a string, number or boolean, got object",
    ],
    [
      { rules: [{ ...rule, when: { claims: { "a..b": 1 } } }] },
      "Invalid ACL rule #0: when.claims has invalid path 'a..b'",
    ],
  ];
  for (const [options, message] of table) {
    assert.throws(() => compileAcl(options as AclOptions), { name: "TypeError", message });
  }
});
