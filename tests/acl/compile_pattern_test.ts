import assert from "node:assert/strict";
import { compileAcl } from "../../src/acl/compile.ts";
import { validatePattern } from "../../src/topic/topic.ts";
import type { AclAction, AclRule } from "../../src/acl/rules.ts";
import type { Principal } from "../../src/auth/principal.ts";
import { principal } from "./_helpers.ts";
import { scan, summary, X, Y } from "./_pattern_scan.ts";

const Z = "z".repeat(64);
const W64 = "w".repeat(64);
const W60 = "w".repeat(60);
const W57 = "w".repeat(57);
const A15 = Array(15).fill("a").join(":");
const A14 = Array(14).fill("a").join(":");

const alice = principal({ sub: "alice", roles: ["member"], claims: { org: "acme" } });

const all: AclRule = { effect: "allow", actions: "*", topics: ["**"] };
const deny = (...topics: string[]): AclRule => ({ effect: "deny", actions: "*", topics });
const allow = (...topics: string[]): AclRule => ({ effect: "allow", actions: "*", topics });

/** Name, rules, target, expected summary, and who asks what (alice, subscribe, unless given). */
type Row = [string, AclRule[], string, string, { who?: Principal; action?: AclAction }?];

const DENY_ROWS: Row[] = [
  ["deny ** under the target", [all, deny("chat:**")], "chat:*", "deny #1 chat:**"],
  ["deny of the target's length", [all, deny("chat:x")], "chat:*", "deny #1 chat:x"],
  ["deny * against a literal", [all, deny("*:x")], "chat:*", "deny #1 *:x"],
  ["deny longer than the target", [all, deny("chat:x:y")], "chat:*", "allow #0 **"],
  ["deny shorter than the target", [all, deny("chat")], "chat:*", "allow #0 **"],
  ["deny of another literal", [all, deny("news:*")], "chat:*", "allow #0 **"],
  ["deny inside the target's **", [all, deny("chat:a:b:c")], "chat:**", "deny #1 chat:a:b:c"],
  ["deny where the target's ** starts", [all, deny("chat")], "chat:**", "allow #0 **"],
  ["deny ** inside the target's **", [all, deny("chat:a:**")], "chat:**", "deny #1 chat:a:**"],
  ["deny ** against a longer target", [all, deny("*:**")], "chat:*:x", "deny #1 *:**"],
  ["deny ** of everything", [all, deny("**")], "x:*", "deny #1 **"],
  ["deny {sub} filled", [all, deny("user:{sub}:**")], "user:alice:*", "deny #1 user:{sub}:**"],
  ["deny {sub} under a target *", [all, deny("user:{sub}:**")], "*:*:*", "deny #1 user:{sub}:**"],
  ["deny {sub} of another user", [all, deny("user:{sub}:**")], "user:bob:*", "allow #0 **"],
  ["deny template not filled", [all, deny("org:{claims.team}:**")], "org:*:*", "allow #0 **"],
  [
    "deny whose shared topic would exceed 255 characters",
    [all, deny(`${X}:${Y}:${Z}:*`)],
    `*:*:*:${W64}`,
    "allow #0 **",
  ],
  [
    "deny whose shared topic has exactly 255 characters",
    [all, deny(`${X}:${Y}:${Z}:*`)],
    `*:*:*:${W60}`,
    `deny #1 ${X}:${Y}:${Z}:*`,
  ],
  [
    "deny ** whose shared topic would exceed 255 characters",
    [all, deny(`${X}:${Y}:${Z}:**`)],
    `*:*:*:${W64}:**`,
    "allow #0 **",
  ],
  [
    "deny: the first rule wins though the trie reaches it second",
    [all, deny("*:a:*"), deny("chat:*:b")],
    "chat:**",
    "deny #1 *:a:*",
  ],
  [
    "deny: the first rule wins in the other order",
    [all, deny("chat:*:b"), deny("*:a:*")],
    "chat:**",
    "deny #1 chat:*:b",
  ],
  [
    "deny: the first overlapping pattern of the rule",
    [all, deny("news:*", "*:a", "chat:*")],
    "chat:*",
    "deny #1 *:a",
  ],
  [
    "deny whose condition does not hold",
    [
      all,
      { effect: "deny", actions: "*", topics: ["chat:**"], when: { roles: ["banned"] } },
      { effect: "deny", actions: "*", topics: ["chat:x"], when: { roles: ["member"] } },
    ],
    "chat:*",
    "deny #2 chat:x",
  ],
  [
    "deny of another action",
    [all, { effect: "deny", actions: ["publish"], topics: ["chat:**"] }],
    "chat:*",
    "allow #0 **",
  ],
  [
    "deny wins over a capability",
    [deny("chat:x")],
    "chat:*",
    "deny #0 chat:x",
    { who: principal({ claims: { acl: { "chat:**": ["subscribe"] } } }) },
  ],
];

const ALLOW_ROWS: Row[] = [
  ["allow ** over *", [allow("chat:**")], "chat:*", "allow #0 chat:**"],
  ["allow ** over *:*", [allow("chat:**")], "chat:*:*", "allow #0 chat:**"],
  ["allow ** over **", [allow("chat:**")], "chat:**", "allow #0 chat:**"],
  ["allow ** over a:**", [allow("chat:**")], "chat:a:**", "allow #0 chat:**"],
  ["allow ** not over a wider **", [allow("chat:**")], "**", "default"],
  ["allow ** not over *:x", [allow("chat:**")], "*:x", "default"],
  ["allow * over *", [allow("chat:*")], "chat:*", "allow #0 chat:*"],
  ["allow * not over **", [allow("chat:*")], "chat:**", "default"],
  ["allow * not over *:*", [allow("chat:*")], "chat:*:*", "default"],
  ["allow *:* over a literal", [allow("*:*")], "chat:*", "allow #0 *:*"],
  ["allow *:* not over *:**", [allow("*:*")], "*:**", "default"],
  ["allow literal not over *", [allow("chat:x")], "chat:*", "default"],
  ["allow {sub} own space", [allow("user:{sub}:**")], "user:alice:*", "allow #0 user:{sub}:**"],
  ["allow {sub} not over *", [allow("user:{sub}:**")], "user:*:*", "default"],
  ["allow {sub} not another user", [allow("user:{sub}:**")], "user:bob:*", "default"],
  [
    "allow {sub} never widened by a sub of *",
    [allow("user:{sub}")],
    "user:*",
    "default",
    { who: principal({ sub: "*" }) },
  ],
  [
    "allow {claims.org} never widened by a claim of **",
    [allow("org:{claims.org}")],
    "org:**",
    "default",
    { who: principal({ claims: { org: "**" } }) },
  ],
  [
    "allow final * over a ** that can add only the 16th segment",
    [allow(`${A15}:*`)],
    `${A15}:**`,
    `allow #0 ${A15}:*`,
  ],
  [
    "allow final * not over a ** that can add two segments",
    [allow(`${A14}:*`)],
    `${A14}:**`,
    "default",
  ],
  [
    "allow final * over a ** that can add only one character",
    [allow(`${X}:${Y}:${Z}:${W57}:*`)],
    `${X}:${Y}:${Z}:${W57}:**`,
    `allow #0 ${X}:${Y}:${Z}:${W57}:*`,
  ],
  [
    "allow: the first rule wins though the trie reaches it second",
    [allow("chat:*"), allow("*:**")],
    "chat:*",
    "allow #0 chat:*",
  ],
  [
    "allow: the first rule wins in the other order",
    [allow("*:**"), allow("chat:*")],
    "chat:*",
    "allow #0 *:**",
  ],
  [
    "allow: the first containing pattern of the rule",
    [allow("news:**", "chat:**", "*:*")],
    "chat:*",
    "allow #0 chat:**",
  ],
  [
    "allow whose condition does not hold",
    [
      { effect: "allow", actions: "*", topics: ["chat:*"], when: { roles: ["admin"] } },
      { effect: "allow", actions: "*", topics: ["chat:**"], when: { claims: { org: "acme" } } },
    ],
    "chat:*",
    "allow #1 chat:**",
  ],
  [
    "allow of another action",
    [{ effect: "allow", actions: ["presence"], topics: ["chat:*"] }],
    "chat:*",
    "default",
  ],
  [
    "allow of the asked action",
    [{ effect: "allow", actions: ["presence"], topics: ["chat:*"] }],
    "chat:*",
    "allow #0 chat:*",
    { action: "presence" },
  ],
  [
    "capability after the rules miss",
    [allow("news:*")],
    "chat:*",
    "capability chat:**",
    { who: principal({ claims: { acl: { "chat:**": ["subscribe"] } } }) },
  ],
];

for (
  const [kind, rows] of [
    ["deny rules that overlap", DENY_ROWS],
    ["allow rules that contain", ALLOW_ROWS],
  ] as const
) {
  Deno.test(`compileAcl decide finds the ${kind} a pattern target`, () => {
    for (const [name, rules, target, want, asks] of rows) {
      const who = asks?.who ?? alice;
      const action = asks?.action ?? "subscribe";
      assert.equal(validatePattern(target), undefined, name);
      const got = summary(compileAcl({ rules }).decide(who, action, target));
      assert.equal(got, want, name);
      // The table must state the scan's semantics, not the index's.
      assert.equal(scan(rules, who, action, target), want, `${name} (scan)`);
    }
  });
}
