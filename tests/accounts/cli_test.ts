import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { baseEnv, CLI, CONFIG, runCli } from "../cli/_cli.ts";
import { signup, startAccountsServer } from "./_server.ts";

const PASSWORD = "correct horse battery";

Deno.test("realtime-cli users add|list|set-roles|disable|enable manage the embedded store", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `${dir}/state/accounts.db`;
    const add = await runCli(
      [
        "users",
        "add",
        "Alice",
        "--role",
        "member",
        "--acl",
        '{"chat:*":["subscribe"]}',
        "--db",
        db,
      ],
      { stdin: `${PASSWORD}\n` },
    );
    assert.equal(add.code, 0, add.stderr);
    assert.ok(!add.stderr.includes(PASSWORD) && !add.stdout.includes(PASSWORD));
    assert.equal((await Deno.stat(db)).mode! & 0o777, 0o600);
    const weak = await runCli(["users", "add", "bob", "--db", db], { stdin: "short\n" });
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /Password is too short/);
    const dup = await runCli(["users", "add", "alice", "--db", db], { stdin: `${PASSWORD}\n` });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /Username 'alice' is taken/);
    assert.equal(
      (await runCli(["users", "set-roles", "alice", "admin", "member", "--db", db])).code,
      0,
    );
    assert.equal((await runCli(["users", "disable", "alice", "--db", db])).code, 0);
    const list = await runCli(["users", "list", "--db", db]);
    assert.equal(list.code, 0);
    const users = list.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(users.map((u) => [u.username, u.roles, u.acl, u.disabled]), [
      ["alice", ["admin", "member"], { "chat:*": ["subscribe"] }, true],
    ]);
    assert.equal(users[0].passwordHash, undefined);
    assert.equal((await runCli(["users", "enable", "alice", "--db", db])).code, 0);
    const missing = await runCli(["users", "list", "--db", `${dir}/nope.db`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No account store at/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("realtime-cli users add takes --acl as token mint does: PATTERN=ACTIONS, or JSON", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `${dir}/accounts.db`;
    const add = (name: string, ...acl: string[]) =>
      runCli(["users", "add", name, ...acl.flatMap((a) => ["--acl", a]), "--db", db], {
        stdin: `${PASSWORD}\n`,
      });
    const pairs = await add("carol", "chat:*=subscribe,publish", "user:carol=*");
    assert.equal(pairs.code, 0, pairs.stderr);
    const mixed = await add("dave", '{"chat:*":["subscribe"]}', "chat:*=history");
    assert.equal(mixed.code, 0, mixed.stderr);
    const unknown = await add("erin", "chat:*=read");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Capability 'chat:\*' has unknown action 'read'/);
    const list = await runCli(["users", "list", "--db", db]);
    const users = list.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(users.map((u) => [u.username, u.acl]), [
      ["carol", { "chat:*": ["subscribe", "publish"], "user:carol": ["*"] }],
      ["dave", { "chat:*": ["subscribe", "history"] }],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("realtime-cli login keeps the refresh token in a 0600 file; reset-password ends that session", async () => {
  await using server = await startAccountsServer();
  await signup(server, "alice");
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/cli/refresh-token`;
    const common = ["--auth-url", `${server.base}/auth`, "--token-file", file];
    const login = await runCli(["login", "alice", ...common], { stdin: `${PASSWORD}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(decodeJwt(login.stdout.trim()).sub, "alice");
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    const first = await Deno.readTextFile(file);
    assert.ok(!login.stderr.includes(first.trim()));
    const refreshed = await runCli(["login", "--refresh", "--export", ...common]);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.match(refreshed.stdout, /^export REALTIME_TOKEN='eyJ[^']+'\n$/);
    assert.notEqual(await Deno.readTextFile(file), first);
    const wrong = await runCli(["login", "alice", ...common], { stdin: "wrong passphrase\n" });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /401 INVALID_CREDENTIALS/);
    const reset = await runCli(["users", "reset-password", "alice", "--db", server.dbPath], {
      stdin: "a brand new passphrase\n",
    });
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stderr, /ended 2 session/); // sign-up's and the CLI's
    const ended = await runCli(["login", "--refresh", ...common]);
    assert.equal(ended.code, 2);
    assert.match(ended.stderr, /INVALID_REFRESH_TOKEN/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("realtime-cli login --export refuses a token that is not a JWT, so eval runs nothing", async () => {
  const evil = "x'; touch PWNED; echo '";
  const requests: string[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      requests.push(new URL(req.url).pathname);
      return Response.json({ accessToken: evil, refreshToken: "a".repeat(43) });
    },
  );
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/refresh-token`;
    await Deno.writeTextFile(file, "b".repeat(43) + "\n");
    // The documented use, run by a real shell in an empty directory.
    const cli = [Deno.execPath(), "run", "-A", "--quiet", "--config", CONFIG, CLI];
    const command = [...cli, "login", "--refresh", "--export"]
      .concat(["--auth-url", `http://127.0.0.1:${server.addr.port}/auth`, "--token-file", file])
      .map((arg) => `'${arg}'`).join(" ");
    const shell = await new Deno.Command("sh", {
      args: ["-c", `eval "$(${command})"`],
      cwd: dir,
      env: baseEnv(),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(shell.stderr);
    assert.deepEqual(requests, ["/auth/refresh"]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["refresh-token"]);
    assert.match(stderr, /answered an access token of 23 characters that is not a JWT/);
    assert.ok(!stderr.includes("touch"), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("realtime-cli login sends a password or refresh token over http only to this machine", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/refresh-token`;
    await Deno.writeTextFile(file, "b".repeat(43) + "\n");
    const remote = ["--auth-url", "http://hub.example.invalid/auth", "--token-file", file];
    const login = await runCli(["login", "alice", ...remote], { stdin: `${PASSWORD}\n` });
    assert.equal(login.code, 1);
    assert.match(
      login.stderr,
      /Cannot send a password to http:\/\/hub\.example\.invalid\/auth over plain http: use https/,
    );
    const refresh = await runCli(["login", "--refresh", ...remote]);
    assert.equal(refresh.code, 1);
    assert.match(refresh.stderr, /Cannot send a refresh token to http:\/\/hub\.example\.invalid/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
