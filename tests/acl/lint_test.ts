import assert from "node:assert/strict";
import { lintAcl } from "../../src/acl/lint.ts";
import type { AclOptions, AclRule } from "../../src/acl/rules.ts";

const lint = (rules: unknown[], claims?: string[]) =>
  lintAcl({ rules } as AclOptions, claims === undefined ? {} : { claims });

Deno.test("lintAcl reports nothing for a clean configuration", () => {
  assert.deepEqual(
    lint([
      { effect: "deny", actions: ["publish"], topics: ["chat:announce"] },
      { effect: "allow", actions: "*", topics: ["chat:*"] },
      { effect: "allow", actions: ["subscribe"], topics: ["user:{sub}:**", "org:{claims.org}:*"] },
    ], ["org"]),
    [],
  );
  assert.deepEqual(lintAcl({}), []);
});

Deno.test("lintAcl reports every validation problem as an error", () => {
  const issues = lint([
    { effect: "allow", actions: ["read", "subscribe"], topics: ["ch*"] },
    { effect: "allow", actions: "*", topics: [] },
    { effect: "allow", actions: "*", topics: ["a:{name}"] },
    "nope",
  ]);
  assert.deepEqual(issues, [
    {
      severity: "error",
      rule: 0,
      message:
        "Invalid ACL rule #0: actions[0] is unknown action 'read': expected subscribe, publish, presence, history",
    },
    {
      severity: "error",
      rule: 0,
      message:
        "Invalid ACL rule #0: topics[0] 'ch*' is not a valid pattern: segment 1 'ch*' contains '*': a wildcard must be a whole segment",
    },
    {
      severity: "error",
      rule: 1,
      message: "Invalid ACL rule #1: topics is empty: list at least one pattern",
    },
    {
      severity: "error",
      rule: 2,
      message:
        "Invalid ACL rule #2: topics[0] 'a:{name}' is not a valid pattern: segment 2 '{name}' is not a valid template: use {sub} or {claims.<path>}",
    },
    { severity: "error", rule: 3, message: "Invalid ACL rule #3: expected an object, got string" },
  ]);
});

Deno.test("lintAcl reports options-level errors without a rule", () => {
  assert.deepEqual(lintAcl({ capabilityClaim: "" }), [{
    severity: "error",
    message: "Invalid ACL options: capabilityClaim must be a non-empty string or false, got ''",
  }]);
  assert.deepEqual(lintAcl({ rules: "x" } as unknown as AclOptions), [{
    severity: "error",
    message: "Invalid ACL options: rules must be an array, got string",
  }]);
});

const deny = (topics: string[], extra: Partial<AclRule> = {}): AclRule => ({
  effect: "deny",
  actions: "*",
  topics,
  ...extra,
});
const allow = (topics: string[], extra: Partial<AclRule> = {}): AclRule => ({
  effect: "allow",
  actions: ["subscribe"],
  topics,
  ...extra,
});

Deno.test("lintAcl warns about allow rules that a deny rule anywhere covers", () => {
  const message = "Rule #0 'x' never applies: deny rule #1 covers all its actions and topics";
  assert.deepEqual(lint([allow(["admin:*", "admin:a:**"], { id: "x" }), deny(["admin:**"])]), [
    { severity: "warning", rule: 0, message },
  ]);
  // Template patterns: `*` covers any single-segment template.
  assert.equal(lint([deny(["user:*:**"]), allow(["user:{sub}:inbox"])]).length, 1);
});

Deno.test("lintAcl does not warn when the deny rule is narrower", () => {
  const table: AclRule[][] = [
    [deny(["admin:*"]), allow(["admin:**"])],
    [deny(["admin:**"], { actions: ["publish"] }), allow(["admin:x"])],
    [deny(["admin:**"], { when: { roles: ["guest"] } }), allow(["admin:x"])],
    [
      deny(["admin:**"], { when: { roles: ["guest"] } }),
      allow(["admin:x"], { when: { roles: ["guest", "x"] } }),
    ],
    [deny(["admin:**"], { when: { claims: { org: "a" } } }), allow(["admin:x"])],
    [deny(["user:{sub}"]), allow(["user:*"])],
    [deny(["user:{sub}"]), allow(["user:alice"])],
    [deny(["a:*"]), allow(["a:x", "b:x"])],
  ];
  for (const rules of table) assert.deepEqual(lint(rules), [], JSON.stringify(rules));
});

Deno.test("lintAcl warns when the deny condition is implied by the rule's own", () => {
  const issues = lint([
    deny(["admin:**"], { when: { roles: ["guest", "anon"], claims: { org: "a" } } }),
    allow(["admin:x"], { when: { roles: ["guest"], claims: { org: "a", tier: 2 } } }),
  ]);
  assert.equal(issues.length, 1);
  assert.equal(issues[0].rule, 1);
});

Deno.test("lintAcl warns about later deny rules covered by earlier ones only", () => {
  assert.deepEqual(lint([deny(["a:**"]), deny(["a:b"], { id: "dup" })]), [{
    severity: "warning",
    rule: 1,
    message: "Rule #1 'dup' never applies: deny rule #0 covers all its actions and topics",
  }]);
  assert.deepEqual(lint([deny(["a:b"]), deny(["a:**"])]), []);
});

Deno.test("lintAcl warns about allow rules shadowed by an earlier allow rule", () => {
  assert.deepEqual(lint([allow(["chat:**"], { actions: "*" }), allow(["chat:lobby"])]), [{
    severity: "warning",
    rule: 1,
    message: "Rule #1 is shadowed: allow rule #0 covers all its actions and topics",
  }]);
  assert.deepEqual(lint([allow(["chat:lobby"]), allow(["chat:**"])]), []);
});

Deno.test("lintAcl warns about claims missing from the known list", () => {
  const rules = [
    allow(["org:{claims.org}:*", "t:{claims.team.id}", "u:{sub}"]),
    allow(["x"], { when: { claims: { "tier.level": 1, org: "a" } } }),
  ];
  assert.deepEqual(lint(rules, ["org"]), [
    {
      severity: "warning",
      rule: 0,
      message:
        "Rule #0 topics[1] 't:{claims.team.id}' uses claim 'team.id', which is not a known claim (known: org)",
    },
    {
      severity: "warning",
      rule: 1,
      message:
        "Rule #1 when.claims uses claim 'tier.level', which is not a known claim (known: org)",
    },
  ]);
  assert.deepEqual(lint(rules, ["org", "team", "tier.level"]), []);
  assert.deepEqual(lint(rules), []);
});
