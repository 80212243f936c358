// ACL rules with `signed`: validated at compile time, looked up per topic
// independently of the principal, and without changing any access decision.

import assert from "node:assert/strict";
import { type Acl, compileAcl } from "../../src/acl/compile.ts";
import { type CarriedMemory, keepDormant, keyIdentities } from "../../src/acl/_replay_carry.ts";
import { createReplayMemory } from "../../src/signing/replay_memory.ts";
import { lintAcl } from "../../src/acl/lint.ts";
import type { AclRule } from "../../src/acl/rules.ts";
import { signPublication } from "../../src/signing/sign.ts";
import { ed25519, es256, SECRET } from "../signing/_keys.ts";
import { principal } from "./_helpers.ts";

const OTHER = "another-publication-secret-of-32-bytes!!";

const RULES: AclRule[] = [
  { id: "read", effect: "allow", actions: ["subscribe"], topics: ["**"] },
  {
    id: "prices",
    effect: "allow",
    actions: ["publish"],
    topics: ["prices:eur", "prices:*:live"],
    signed: { keys: SECRET },
  },
  {
    id: "all-prices",
    effect: "allow",
    actions: "*",
    topics: ["prices:**"],
    signed: { keys: OTHER },
  },
  {
    id: "bots",
    effect: "allow",
    actions: ["publish"],
    topics: ["bots:*"],
    when: { roles: ["bot"] },
    signed: { keys: SECRET },
  },
  { id: "chat", effect: "allow", actions: ["publish"], topics: ["chat:*"] },
  { id: "no-usd", effect: "deny", actions: ["publish"], topics: ["prices:usd"] },
];

Deno.test("Acl.signingFor names the first signed rule matching the topic, or none", () => {
  const acl = compileAcl({ rules: RULES });
  const table: [string, { index: number; id?: string; pattern: string } | undefined][] = [
    ["prices:eur", { index: 1, id: "prices", pattern: "prices:eur" }],
    ["prices:gbp:live", { index: 1, id: "prices", pattern: "prices:*:live" }],
    ["prices:gbp", { index: 2, id: "all-prices", pattern: "prices:**" }],
    ["prices:usd", { index: 2, id: "all-prices", pattern: "prices:**" }],
    ["prices", undefined],
    ["bots:alpha", { index: 3, id: "bots", pattern: "bots:*" }],
    ["chat:lobby", undefined],
    ["prices:*", undefined], // a pattern is not a publishable topic
    ["bad topic", undefined],
  ];
  for (const [topic, rule] of table) {
    assert.deepEqual(acl.signingFor(topic)?.rule, rule, topic);
  }
  // One verifier per signed pattern (its replay memory is carried across rules updates by pattern).
  assert.equal(acl.signingFor("prices:eur")?.verifier, acl.signingFor("prices:eur")?.verifier);
  assert.equal(
    acl.signingFor("prices:x:live")?.verifier,
    acl.signingFor("prices:y:live")?.verifier,
  );
  assert.notEqual(
    acl.signingFor("prices:eur")?.verifier,
    acl.signingFor("prices:x:live")?.verifier,
  );
  assert.notEqual(acl.signingFor("prices:eur")?.verifier, acl.signingFor("prices:gbp")?.verifier);
});

Deno.test("Acl.signingFor does not depend on the principal, and decide is unchanged by signed", () => {
  const acl = compileAcl({ rules: RULES });
  const unsigned = compileAcl({ rules: RULES.map(({ signed: _, ...rule }) => rule) });
  const alice = principal({ sub: "alice" });
  const bot = principal({ sub: "b", roles: ["bot"] });
  // The requirement is the topic's: alice, whom the bots rule does not allow, is still bound by it.
  assert.equal(acl.signingFor("bots:alpha")?.rule.id, "bots");
  for (const p of [alice, bot]) {
    for (const topic of ["prices:eur", "prices:usd", "bots:alpha", "chat:lobby", "x:y"]) {
      for (const action of ["publish", "subscribe"] as const) {
        assert.deepEqual(acl.decide(p, action, topic), unsigned.decide(p, action, topic));
      }
    }
  }
  assert.equal(acl.decide(alice, "publish", "prices:usd").allowed, false, "deny still wins");
});

Deno.test("Acl.signingFor gives the verifier holding the rule's keys", async () => {
  const acl = compileAcl({ rules: RULES });
  const verify = async (topic: string, key: string) => {
    const result = await acl.signingFor(topic)!.verifier.verify(
      topic,
      await signPublication(topic, 1, key),
    );
    return result.ok ? "ok" : result.code;
  };
  assert.equal(await verify("prices:eur", SECRET), "ok");
  assert.equal(await verify("prices:eur", OTHER), "SIGNATURE_INVALID");
  assert.equal(await verify("prices:gbp", OTHER), "ok");
  assert.equal(await verify("prices:gbp", SECRET), "SIGNATURE_INVALID");
});

Deno.test("compileAcl refuses unusable signed rules with messages naming the rule", async () => {
  const pair = await es256();
  const base = { effect: "allow", actions: ["publish"], topics: ["a:*"] } as const;
  const cases: [unknown, RegExp][] = [
    [{ ...base, signed: SECRET }, /#0: signed must be an object with 'keys', got string/],
    [{ ...base, signed: {} }, /#0: signed needs 'keys'/],
    [{ ...base, signed: { keys: SECRET, alg: "HS256" } }, /#0: signed has unknown field 'alg'/],
    [{ ...base, effect: "deny", signed: { keys: SECRET } }, /only to allow rules/],
    [{ ...base, actions: ["subscribe"], signed: { keys: SECRET } }, /cover 'publish'/],
    [{ ...base, topics: ["user:{sub}"], signed: { keys: SECRET } }, /cannot use templates/],
    [{ ...base, signed: { keys: "short" } }, /at least 32 bytes/],
    [{ ...base, signed: { keys: pair.privatePem } }, /private key/],
    [
      { ...base, signed: { keys: pair.publicPem, algorithms: ["HS256"] } },
      /publication verifier with algorithm 'HS256' and a public key: it allows only ES256/,
    ],
    [{ ...base, signed: { keys: SECRET, algorithms: ["none"] } }, /algorithm 'none'/],
    [{ ...base, signed: { keys: SECRET, replayWindowMs: 5 } }, /replayWindowMs/],
  ];
  for (const [rule, message] of cases) {
    assert.throws(
      () => compileAcl({ rules: [rule as AclRule] }),
      (e: Error) =>
        e instanceof TypeError && message.test(e.message) && !e.message.includes("short"),
      String(message),
    );
    assert.equal(lintAcl({ rules: [rule as AclRule] })[0]?.severity, "error");
  }
  assert.doesNotThrow(() =>
    compileAcl({ rules: [{ ...base, actions: "*", signed: { keys: pair.publicJwk } }] })
  );
});

Deno.test("compileAcl keeps its own copy of signed, so later changes to the options change nothing", async () => {
  const signed = { keys: SECRET as string };
  const acl = compileAcl({ rules: [{ effect: "allow", actions: "*", topics: ["a:*"], signed }] });
  signed.keys = OTHER;
  const jws = await signPublication("a:b", 1, SECRET);
  assert.equal((await acl.signingFor("a:b")!.verifier.verify("a:b", jws)).ok, true);
  assert.equal(acl.rules[0].signed?.keys, SECRET);
});

Deno.test("lintAcl warns about a signed rule whose keys never apply", () => {
  const issues = lintAcl({
    rules: [
      {
        id: "wide",
        effect: "allow",
        actions: ["publish"],
        topics: ["a:**"],
        signed: { keys: SECRET },
      },
      {
        id: "narrow",
        effect: "allow",
        actions: ["publish"],
        topics: ["a:b"],
        signed: { keys: OTHER },
      },
    ],
  });
  assert.deepEqual(issues, [
    {
      severity: "warning",
      rule: 1,
      message:
        "Rule #1 'narrow' is shadowed: allow rule #0 'wide' covers all its actions and topics",
    },
    {
      severity: "warning",
      rule: 1,
      message:
        "Rule #1 'narrow' never applies its signing keys: signed rule #0 'wide' comes first and covers all its topics",
    },
  ]);
});

/** Whether `jws` for `topic` is accepted by the rules in force, or the refusal's code. */
async function verdict(acl: Acl, topic: string, jws: string): Promise<string> {
  const result = await acl.signingFor(topic)!.verifier.verify(topic, jws);
  return result.ok ? "ok" : result.code;
}

const signedRule = (keys: unknown, topics = ["a:*"]): AclRule => ({
  effect: "allow",
  actions: ["publish"],
  topics,
  signed: { keys: keys as never },
});

Deno.test("compileAcl with previous carries a signed pattern's replay memory while a key stays", async () => {
  const [a, b] = [await es256(), await ed25519()];
  let acl = compileAcl({ rules: [signedRule(a.publicJwk)] });
  const jws = await signPublication("a:x", 1, a.privateJwk);
  assert.equal(await verdict(acl, "a:x", jws), "ok");
  const steps: [string, AclRule[]][] = [
    ["an unrelated rule added", [signedRule(a.publicJwk), { ...RULES[0] }]],
    ["the same key, its fields in another order", [
      signedRule(Object.fromEntries(Object.entries(a.publicJwk).reverse())),
    ]],
    ["a rotation adds a key", [signedRule({ keys: [b.publicJwk, a.publicJwk] })]],
    ["the pattern moved to another rule", [signedRule(OTHER, ["z:*"]), signedRule(a.publicJwk)]],
  ];
  for (const [why, rules] of steps) {
    acl = compileAcl({ rules }, { previous: acl });
    assert.equal(await verdict(acl, "a:x", jws), "SIGNATURE_REPLAYED", why);
  }
  // Without `previous`, as before: a new, empty memory.
  assert.equal(await verdict(compileAcl({ rules: [signedRule(a.publicJwk)] }), "a:x", jws), "ok");
});

Deno.test("compileAcl with previous keeps a memory no rule uses until its ids are stale", async () => {
  const [a, b] = [await es256(), await ed25519()];
  let acl = compileAcl({ rules: [signedRule(a.publicJwk)] });
  const jws = await signPublication("a:x", 1, a.privateJwk);
  assert.equal(await verdict(acl, "a:x", jws), "ok");
  // Switched to other keys, then back; removed, then restored.
  acl = compileAcl({ rules: [signedRule(b.publicJwk)] }, { previous: acl });
  assert.equal(await verdict(acl, "a:x", jws), "SIGNATURE_ALGORITHM");
  acl = compileAcl({ rules: [signedRule(a.publicJwk)] }, { previous: acl });
  assert.equal(await verdict(acl, "a:x", jws), "SIGNATURE_REPLAYED", "keys switched back");
  acl = compileAcl({ rules: [] }, { previous: acl });
  acl = compileAcl({ rules: [signedRule(a.publicJwk)] }, { previous: acl });
  assert.equal(await verdict(acl, "a:x", jws), "SIGNATURE_REPLAYED", "rule restored");
});

Deno.test("keepDormant drops a memory once the last id it holds is stale", () => {
  const memory = createReplayMemory();
  memory.add("j1", 5_000, 0);
  const had = new Map([["a:*", [{ keys: keyIdentities(SECRET), memory }]]]);
  for (const [now, kept] of [[4_999, 1], [5_000, 0]] as const) {
    const into = new Map<string, CarriedMemory[]>();
    keepDormant(had, into, now);
    assert.equal(into.get("a:*")?.length ?? 0, kept, `at ${now}`);
  }
  // One a new rule took is not added twice.
  const into = new Map([["a:*", [{ keys: keyIdentities(OTHER), memory }]]]);
  keepDormant(had, into, 0);
  assert.equal(into.get("a:*")?.length, 1);
});
