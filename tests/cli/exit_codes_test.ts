// Every documented exit code, each from the real CLI, with one clear line on
// stderr that never holds the token.

import assert from "node:assert/strict";
import { startTestHub } from "../_support/hub.ts";
import { baseEnv, freePort, runCli } from "./_cli.ts";

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${stderr}`);
  assert.match(lines[0], /^realtime-cli: /);
  assert.doesNotMatch(lines[0], /\.ts:\d+|Error:|eyJ/);
  return lines[0];
}

Deno.test("realtime-cli exits 0 and prints help and version", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes:\n {2}0 {2}success\n {2}1 {2}usage/);
  const commands = ["token mint", "token inspect", "tail", "publish", "connect", "acl explain"];
  const helps = await Promise.all(commands.map((c) => runCli([...c.split(" "), "--help"])));
  commands.forEach((command, index) => {
    assert.equal(helps[index].code, 0, command);
    assert.match(helps[index].stdout, new RegExp(`Usage: realtime-cli ${command}`));
    assert.match(helps[index].stdout, /4 {2}timeout/, `${command} --help documents exit codes`);
    assert.match(helps[index].stdout, /--token <jwt>/, `${command} --help shows global options`);
  });
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0);
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(version.stdout, `${config.version}\n`);
});

Deno.test("realtime-cli exits 1 on usage errors", async () => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["token", "mint"], /required option '--sub <subject>' not specified/],
    [["token", "mint", "--sub", "a", "--ttl", "5 minutes"], /Cannot parse duration '5 minutes'/],
    [["token", "mint", "--sub", "a", "--acl", "chat:*=read"], /unknown action 'read'/],
    [["tail", "chat:*", "--count", "0"], /at least 1/],
    [["tail", "chat:*"], /No token: pass --token or set REALTIME_TOKEN/],
    [["publish", "chat:x", "1", "--url", "ftp://h", "--token", "t"], /protocol 'ftp:'/],
    [["token", "inspect", "not-a-token"], /Cannot decode the token/],
    [["acl", "check", "--config", "/nonexistent/hub.json"], /Cannot read config file/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  cases.forEach(([args, message], index) => {
    assert.equal(results[index].code, 1, `${args.join(" ")}: ${results[index].stderr}`);
    assert.match(oneLine(results[index].stderr), message);
  });
});

Deno.test("realtime-cli exits 2 on authentication and permission failures", async () => {
  await using hub = await startTestHub("ws");
  const env = baseEnv({ REALTIME_URL: hub.url, REALTIME_JWT_SECRET: "x".repeat(40) });
  const wrongKey = (await runCli(["token", "mint", "--sub", "eve"], { env })).stdout.trim();
  assert.match(wrongKey, JWT);

  const refused = await runCli(["publish", "chat:x", "1", "--token", wrongKey], { env });
  assert.equal(refused.code, 2);
  assert.match(oneLine(refused.stderr), /refused the token/);

  const expired = await hub.token({ sub: "eve" }, { now: () => Date.now() - 7_200_000 });
  for (const via of ["header", "subprotocol", "query", "message"]) {
    const result = await runCli(["tail", "chat:x", "--token", expired, "--token-via", via], {
      env,
    });
    assert.equal(result.code, 2, `${via}: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, JWT);
  }

  const reader = await hub.token({ sub: "eve", acl: { "chat:*": ["subscribe"] } });
  const forbidden = await runCli(["publish", "chat:x", '"hi"', "--token", reader], { env });
  assert.equal(forbidden.code, 2);
  assert.match(oneLine(forbidden.stderr), /message 1 to 'chat:x' failed: .*\(FORBIDDEN\)/);

  const denied = await runCli(["tail", "admin:*", "--token", reader], { env });
  assert.equal(denied.code, 2);
  assert.match(oneLine(denied.stderr), /Cannot subscribe to 'admin:\*'.*FORBIDDEN/);
});

Deno.test("realtime-cli exits 3 when the hub cannot be reached", async () => {
  const port = freePort(); // closed again: nothing listens there
  for (const args of [["tail", "chat:x"], ["publish", "chat:x", "1"], ["connect", "--json"]]) {
    const result = await runCli([
      ...args,
      "--url",
      `ws://127.0.0.1:${port}/ws`,
      "--token",
      "a.b.c",
    ]);
    assert.equal(result.code, 3, `${args[0]}: ${result.stderr}`);
    assert.match(oneLine(result.stderr), new RegExp(`Cannot connect to ws://127.0.0.1:${port}/ws`));
  }
});

Deno.test("realtime-cli exits 4 on timeout", async () => {
  await using hub = await startTestHub("ws");
  const token = await hub.token({ sub: "frank", acl: { "chat:*": ["subscribe"] } });
  const result = await runCli(["tail", "chat:quiet", "--count", "1", "--timeout", "300ms"], {
    env: baseEnv({ REALTIME_URL: hub.url, REALTIME_TOKEN: token, REALTIME_JWT_SECRET: "" }),
  });
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stderr, /Timed out after 300ms with 0 of 1 messages/);
  assert.equal(result.stdout, "");
});

Deno.test("realtime-cli never prints the token it was given", async () => {
  const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
  const results = await Promise.all([
    runCli(["tail", token]),
    runCli(["frobnicate", token]),
    runCli(["publish", "chat:x", "1", "--url", `ws://127.0.0.1:${freePort()}/ws?token=${token}`]),
    runCli(["token", "verify", token, "--key", "/nonexistent.pem"]),
  ]);
  for (const result of results) {
    assert.notEqual(result.code, 0);
    assert.ok(!result.stderr.includes(token), result.stderr);
    assert.ok(!result.stderr.includes("c2lnbmF0dXJl"), result.stderr);
  }
});

Deno.test("realtime-cli publish exits 4 when the ack never comes", async () => {
  // A peer that welcomes and then never answers: the hub always acks.
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { protocol: "realtime.v1" });
    socket.onopen = () =>
      socket.send(
        JSON.stringify({ type: "welcome", connectionId: "c", user: "u", expiresAt: null }),
      );
    return response;
  });
  try {
    // The deadline also covers connecting, which a loaded machine may take a while to do.
    const result = await runCli(["publish", "chat:x", "1", "--timeout", "3s"], {
      env: baseEnv({
        REALTIME_URL: `ws://127.0.0.1:${server.addr.port}/ws`,
        REALTIME_TOKEN: "a.b.c",
      }),
    });
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /Timed out after 3s waiting for the ack of message 1/);
  } finally {
    await server.shutdown();
  }
});
