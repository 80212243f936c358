// acl explain and acl check: the hub's engine, offline.

import assert from "node:assert/strict";
import { SECRET, startTestHub } from "../_support/hub.ts";
import { baseEnv, runCli } from "./_cli.ts";

const RULES = {
  acl: {
    rules: [
      { id: "team-chat", effect: "allow", actions: ["subscribe", "publish"], topics: ["chat:*"] },
      { id: "read-only", effect: "deny", actions: ["publish"], topics: ["chat:announce"] },
      { id: "inbox", effect: "allow", actions: ["subscribe"], topics: ["user:{sub}"] },
    ],
  },
};

async function withConfig(config: unknown, fn: (path: string) => Promise<void>): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, JSON.stringify(config));
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("acl explain names the deciding rule or capability and exits 2 when denied", async () => {
  await using hub = await startTestHub("ws");
  const token = await hub.token({ sub: "alice", acl: { "news:*": ["subscribe"] } });
  const env = baseEnv({ REALTIME_TOKEN: token, REALTIME_JWT_SECRET: SECRET });
  await withConfig(RULES, async (config) => {
    const allowed = await runCli(
      ["acl", "explain", "subscribe", "chat:lobby", "--config", config],
      {
        env,
      },
    );
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /^allowed: subscribe 'chat:lobby'$/m);
    assert.match(allowed.stdout, /allowed by rule #0 'team-chat' \(allow subscribe chat:\*\)/);
    assert.match(allowed.stdout, /token: verified with REALTIME_JWT_SECRET/);
    assert.match(allowed.stdout, /rules: 3 rules from /);

    const denied = await runCli(
      ["acl", "explain", "publish", "chat:announce", "--config", config, "--json"],
      { env },
    );
    assert.equal(denied.code, 2);
    const decision = JSON.parse(denied.stdout);
    assert.equal(decision.allowed, false);
    assert.equal(decision.reason, "rule");
    assert.deepEqual(decision.rule, {
      index: 1,
      id: "read-only",
      effect: "deny",
      pattern: "chat:announce",
    });
    assert.equal(decision.token, "verified");

    const byCapability = await runCli(["acl", "explain", "subscribe", "news:tech"], { env });
    assert.equal(byCapability.code, 0);
    assert.match(
      byCapability.stdout,
      /allowed by capability 'news:\*' \(subscribe\) in claim 'acl'/,
    );

    const template = await runCli(["acl", "explain", "subscribe", "user:bob", "--config", config], {
      env,
    });
    assert.equal(template.code, 2);
    assert.match(template.stdout, /denied by default/);

    const invalid = await runCli(["acl", "explain", "publish", "chat:*", "--config", config], {
      env,
    });
    assert.equal(invalid.code, 1);
  });
});

Deno.test("acl explain says when the token was only decoded, and refuses a bad signature", async () => {
  await using hub = await startTestHub("ws");
  const token = await hub.token({ sub: "alice", acl: { "chat:*": ["publish"] } });
  const cwd = await Deno.makeTempDir(); // no development key here
  try {
    const decoded = await runCli(["acl", "explain", "publish", "chat:x", "--token", token], {
      cwd,
    });
    assert.equal(decoded.code, 0, decoded.stderr);
    assert.match(decoded.stdout, /token: NOT verified \(no key found\): decoded only/);

    const wrongKey = await runCli(["acl", "explain", "publish", "chat:x", "--token", token], {
      cwd,
      env: baseEnv({ REALTIME_JWT_SECRET: "y".repeat(40) }),
    });
    assert.equal(wrongKey.code, 2);
    assert.match(
      wrongKey.stderr,
      /would be refused before any ACL check: Token signature is invalid/,
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("acl check reports errors with exit 1 and warnings with exit 0", async () => {
  await withConfig(RULES, async (config) => {
    const clean = await runCli(["acl", "check", "--config", config]);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(clean.stdout, "");
    assert.match(clean.stderr, /3 rules checked: 0 errors, 0 warnings/);
  });
  const shadowed = {
    acl: {
      rules: [
        { effect: "deny", actions: "*", topics: ["admin:**"] },
        { id: "ops", effect: "allow", actions: ["subscribe"], topics: ["admin:ops:*"] },
        { effect: "allow", actions: ["subscribe"], topics: ["org:{claims.org}:**"] },
      ],
    },
  };
  await withConfig(shadowed, async (config) => {
    const warned = await runCli(["acl", "check", "--config", config, "--claims", "team"]);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stdout, /warning: Rule #1 'ops' never applies: deny rule #0/);
    assert.match(warned.stdout, /warning: Rule #2 .*uses claim 'org', which is not a known claim/);
    const strict = await runCli(["acl", "check", "--config", config, "--strict", "--quiet"]);
    assert.equal(strict.code, 1);
  });
  const broken = {
    acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["chat:**:x"] }] },
  };
  await withConfig(broken, async (config) => {
    const failed = await runCli(["acl", "check", "--config", config, "--json"]);
    assert.equal(failed.code, 1);
    const issues = JSON.parse(failed.stdout);
    assert.equal(issues[0].severity, "error");
    assert.equal(issues[0].rule, 0);
  });
});
