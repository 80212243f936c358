import assert from "node:assert/strict";
import { parseCapabilities } from "../../src/acl/capabilities.ts";
import { compileAcl } from "../../src/acl/compile.ts";
import { principal } from "./_helpers.ts";

const ALL = ["subscribe", "publish", "presence", "history"];

Deno.test("parseCapabilities reads patterns and actions in claim order", () => {
  assert.deepEqual(
    parseCapabilities({
      "chat:*": ["publish", "subscribe"],
      "user:alice": ["*"],
      "**": ["history"],
    }),
    {
      ok: true,
      entries: [
        { pattern: "chat:*", actions: ["subscribe", "publish"] },
        { pattern: "user:alice", actions: ALL },
        { pattern: "**", actions: ["history"] },
      ],
    },
  );
  assert.deepEqual(parseCapabilities({}), { ok: true, entries: [] });
});

Deno.test("parseCapabilities accepts a JSON string as Ably tokens carry it", () => {
  assert.deepEqual(parseCapabilities('{"chat:*":["subscribe"]}'), {
    ok: true,
    entries: [{ pattern: "chat:*", actions: ["subscribe"] }],
  });
});

Deno.test("parseCapabilities rejects malformed claims as a whole", () => {
  const table: [unknown, string][] = [
    [null, "Capability claim must be an object of pattern to actions, got null"],
    [["chat:*"], "Capability claim must be an object of pattern to actions, got array"],
    [42, "Capability claim must be an object of pattern to actions, got number"],
    ["{not json", "Capability claim is a string but not valid JSON"],
    ['"chat:*"', "Capability claim must be an object of pattern to actions, got string"],
    [
      { "chat:*": ["subscribe"], "ch*": ["publish"] },
      "Capability key is invalid: Invalid pattern 'ch*': segment 1 'ch*' contains '*': a wildcard must be a whole segment",
    ],
    [
      { "a:**:b": ["*"] },
      "Capability key is invalid: Invalid pattern 'a:**:b': segment 2 is '**', which is only allowed as the last segment",
    ],
    [
      { "user:{sub}": ["*"] },
      "Capability key is invalid: Invalid pattern 'user:{sub}': segment 2 '{sub}' contains a template, which is not allowed here",
    ],
    [
      { "chat:*": "subscribe" },
      "Capability 'chat:*' must list actions in a non-empty array, got string",
    ],
    [
      { "chat:*": [] },
      "Capability 'chat:*' must list actions in a non-empty array, got an empty array",
    ],
    [
      { "chat:*": ["read"] },
      "Capability 'chat:*' has unknown action 'read': expected subscribe, publish, presence, history or *",
    ],
    [
      { "chat:*": [1] },
      "Capability 'chat:*' has unknown action number: expected subscribe, publish, presence, history or *",
    ],
  ];
  for (const [claim, message] of table) {
    assert.deepEqual(parseCapabilities(claim), { ok: false, message }, JSON.stringify(claim));
  }
});

Deno.test("compileAcl grants by capability when no rule decides", () => {
  const acl = compileAcl({});
  const p = principal({ claims: { acl: { "chat:*": ["subscribe"], "user:alice": ["*"] } } });
  assert.deepEqual(acl.decide(p, "subscribe", "chat:lobby"), {
    allowed: true,
    reason: "capability",
    capability: "chat:*",
    message: "allowed by capability 'chat:*' (subscribe) in claim 'acl'",
  });
  assert.equal(acl.decide(p, "publish", "chat:lobby").allowed, false);
  for (const action of ALL) {
    assert.equal(acl.decide(p, action as "publish", "user:alice").capability, "user:alice");
  }
  assert.equal(acl.decide(p, "subscribe", "chat:lobby:1").allowed, false);
  assert.equal(acl.decide(p, "subscribe", "chat:*").allowed, true);
  assert.equal(acl.decide(p, "subscribe", "chat:**").allowed, false);
});

Deno.test("compileAcl says when a malformed capability claim was ignored", () => {
  const acl = compileAcl({});
  const p = principal({ claims: { acl: { "chat:*": ["subscribe"], "x:*": ["read"] } } });
  assert.deepEqual(acl.decide(p, "subscribe", "chat:lobby"), {
    allowed: false,
    reason: "default",
    message: "denied by default: no rule or capability allows subscribe on 'chat:lobby'; " +
      "capability claim 'acl' was ignored: Capability 'x:*' has unknown action 'read': " +
      "expected subscribe, publish, presence, history or *",
  });
});

Deno.test("compileAcl reads capabilities from the configured claim or not at all", () => {
  const p = principal({ claims: { acl: { "**": ["*"] }, caps: { "chat:*": ["publish"] } } });
  const custom = compileAcl({ capabilityClaim: "caps" });
  assert.equal(
    custom.decide(p, "publish", "chat:x").message,
    "allowed by capability 'chat:*' (publish) in claim 'caps'",
  );
  assert.equal(custom.decide(p, "publish", "other:x").allowed, false);
  const off = compileAcl({ capabilityClaim: false });
  assert.equal(off.decide(p, "publish", "chat:x").reason, "default");
});

Deno.test("compileAcl lets deny rules override capabilities", () => {
  const acl = compileAcl({
    rules: [{ effect: "deny", actions: ["publish"], topics: ["admin:**"] }],
  });
  const p = principal({ claims: { acl: { "**": ["*"] } } });
  assert.equal(acl.decide(p, "publish", "admin:x").reason, "rule");
  assert.equal(acl.decide(p, "publish", "admin:x").allowed, false);
  assert.equal(acl.decide(p, "subscribe", "admin:x").reason, "capability");
  assert.equal(acl.decide(p, "subscribe", "**").allowed, true);
  assert.equal(acl.decide(p, "publish", "chat:x").allowed, true);
});

Deno.test("compileAcl re-reads a capability claim each decision for new principals", () => {
  const acl = compileAcl({});
  const a = principal({ claims: { acl: { "a:*": ["*"] } } });
  const b = principal({ claims: { acl: { "b:*": ["*"] } } });
  assert.equal(acl.decide(a, "publish", "a:x").allowed, true);
  assert.equal(acl.decide(b, "publish", "a:x").allowed, false);
  assert.equal(acl.decide(b, "publish", "b:x").allowed, true);
});
