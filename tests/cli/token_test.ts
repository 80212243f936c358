// token mint / inspect / verify and keys generate, with secrets and key files.

import assert from "node:assert/strict";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { SECRET, startTestHub } from "../_support/hub.ts";
import { baseEnv, runCli } from "./_cli.ts";

Deno.test("token mint signs with REALTIME_JWT_SECRET the claims it was given", async () => {
  const env = baseEnv({ REALTIME_JWT_SECRET: SECRET });
  const result = await runCli([
    "token",
    "mint",
    "--sub",
    "alice",
    "--role",
    "admin,ops",
    "--role",
    "dev",
    "--acl",
    "chat:*=subscribe,publish",
    "--acl",
    '{"user:alice":["subscribe"]}',
    "--claim",
    "org=acme",
    "--claim",
    "level=3",
    "--ttl",
    "1h",
    "--iss",
    "hub-dev",
    "--aud",
    "web",
  ], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  const principal = await createTokenVerifier({
    secret: SECRET,
    issuer: "hub-dev",
    audience: "web",
  })
    .verify(result.stdout.trim());
  assert.equal(principal.sub, "alice");
  assert.deepEqual(principal.roles, ["admin", "ops", "dev"]);
  assert.deepEqual(principal.claims.acl, {
    "chat:*": ["subscribe", "publish"],
    "user:alice": ["subscribe"],
  });
  assert.equal(principal.claims.org, "acme");
  assert.equal(principal.claims.level, 3);
  const lifetime = (principal.claims.exp as number) - (principal.claims.iat as number);
  assert.equal(lifetime, 3600);
});

Deno.test("token inspect shows claims, human times and expiry", async () => {
  await using hub = await startTestHub("ws");
  const live = await hub.token({ sub: "alice", roles: ["admin"] });
  const human = await runCli(["token", "inspect", live]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^ {2}alg: HS256$/m);
  assert.match(human.stdout, /^ {2}sub: alice$/m);
  assert.match(human.stdout, /^ {2}roles: \["admin"\]$/m);
  assert.match(human.stdout, /^ {2}exp: \d+ = \d{4}-\d\d-\d\dT\S+Z \(in 59m \d+s\)$/m);
  assert.match(human.stdout, /^Status not expired/m);
  assert.match(human.stdout, /Signature not checked/);

  const old = await hub.token({ sub: "bob" }, { ttl: "1m", now: () => Date.now() - 3_600_000 });
  const json = await runCli(["token", "inspect", "-", "--json"], { stdin: old + "\n" });
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.expired, true);
  assert.equal(parsed.claims.sub, "bob");
  assert.equal(parsed.header.alg, "HS256");
  assert.equal(typeof parsed.expiresAt, "string");

  const fromEnv = await runCli(["token", "inspect"], { env: baseEnv({ REALTIME_TOKEN: old }) });
  assert.match(fromEnv.stdout, /^Status expired .* ago\)$/m);
});

Deno.test("token verify accepts good tokens and exits 2 on bad ones", async () => {
  await using hub = await startTestHub("ws");
  const env = baseEnv({ REALTIME_JWT_SECRET: SECRET });
  const good = await runCli(["token", "verify", await hub.token({ sub: "alice" })], { env });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /^valid: sub alice, expires \S+ \(key: REALTIME_JWT_SECRET\)$/m);

  const expired = await hub.token({ sub: "a" }, { ttl: "1m", now: () => Date.now() - 600_000 });
  const bad = await runCli(["token", "verify", expired, "--json"], { env });
  assert.equal(bad.code, 2);
  assert.deepEqual(JSON.parse(bad.stdout), {
    valid: false,
    reason: "expired",
    message: "Token has expired",
    key: "REALTIME_JWT_SECRET",
  });

  const empty = await Deno.makeTempDir();
  try {
    const noKey = await runCli(["token", "verify", expired], { cwd: empty });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /Cannot verify: no key found/);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("keys generate writes key files with mode 0600 that mint and verify use", async () => {
  const dir = await Deno.makeTempDir({ prefix: "realtime-cli-keys-" });
  try {
    await Promise.all(["ES256", "EdDSA", "RS256", "HS256"].map(async (alg) => {
      const out = `${dir}/${alg}.json`;
      const generated = await runCli(["keys", "generate", "--alg", alg, "--out", out]);
      assert.equal(generated.code, 0, generated.stderr);
      assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600, `${alg} private key mode`);
      const minted = await runCli(["token", "mint", "--sub", "kim", "--key", out]);
      assert.equal(minted.code, 0, minted.stderr);
      const token = minted.stdout.trim();
      const verifyWith = alg === "HS256" ? out : `${dir}/${alg}.pub.json`;
      const verified = await runCli(["token", "verify", token, "--key", verifyWith]);
      assert.equal(verified.code, 0, `${alg}: ${verified.stderr}`);
      assert.match(verified.stdout, /^valid: sub kim/);
      const header =
        JSON.parse((await runCli(["token", "inspect", token, "--json"])).stdout).header;
      assert.equal(header.alg, alg);
      if (alg !== "HS256") assert.equal(typeof header.kid, "string");
    }));
    const again = await runCli(["keys", "generate", "--out", `${dir}/ES256.json`]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /it exists \(use --force to replace it\)/);
    const printed = await runCli(["keys", "generate", "--alg", "ES256"]);
    const pair = JSON.parse(printed.stdout);
    assert.equal(pair.private.kty, "EC");
    assert.equal(pair.public.d, undefined);
    const wrongHalf = await runCli([
      "token",
      "mint",
      "--sub",
      "x",
      "--key",
      `${dir}/ES256.pub.json`,
    ]);
    assert.equal(wrongHalf.code, 1);
    assert.match(wrongHalf.stderr, /it holds a public key/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
