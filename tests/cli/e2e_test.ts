// The everyday path, with zero configuration in a fresh directory: mint a
// token with the development key, serve, tail, publish, connect.

import assert from "node:assert/strict";
import { baseEnv, CliProcess, freePort, runCli, startServe } from "./_cli.ts";

Deno.test("realtime-cli mint, serve, tail, publish and connect work with zero configuration", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "realtime-cli-e2e-" });
  try {
    // 1. Mint before the hub ever ran: the development key is created here.
    const minted = await runCli(
      ["token", "mint", "--sub", "alice", "--acl", "chat:*=subscribe,publish"],
      { cwd },
    );
    assert.equal(minted.code, 0, minted.stderr);
    assert.match(minted.stderr, /created the development key in \.realtime\/dev-key\.json/);
    const token = minted.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const keyInfo = await Deno.stat(`${cwd}/.realtime/dev-key.json`);
    assert.equal(keyInfo.mode! & 0o777, 0o600);

    // 2. The hub started in the same directory uses that key.
    const port = freePort();
    await using serve = await startServe(cwd, port);
    assert.match(serve.stdout.text, /DEVELOPMENT KEY/);
    const url = `ws://127.0.0.1:${port}/ws`;
    const env = baseEnv({ REALTIME_URL: url, REALTIME_TOKEN: token });

    // 3. tail ends by itself after --count messages.
    await using tail = new CliProcess(["tail", "chat:*", "--count", "3", "--timeout", "30s"], {
      cwd,
      env,
    });
    await tail.err(/subscribed to chat:\* on ws:\/\/127\.0\.0\.1:\d+\/ws as alice/);

    // 4. publish: one from the argument, two from stdin lines.
    const one = await runCli(["publish", "chat:lobby", '{"text":"hi"}'], { cwd, env });
    assert.equal(one.code, 0, one.stderr);
    const lines = await runCli(["publish", "chat:random"], { cwd, env, stdin: "hello\n42\n" });
    assert.equal(lines.code, 0, lines.stderr);

    const tailed = await tail.status();
    assert.equal(tailed.code, 0, tailed.stderr);
    const out = tailed.stdout.trim().split("\n");
    assert.equal(out.length, 3);
    assert.match(out[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z chat:lobby alice \{"text":"hi"\}$/);
    assert.match(out[1], /chat:random alice "hello"$/);
    assert.match(out[2], /chat:random alice 42$/);

    // 5. connect --json, driven through stdin.
    await using connect = new CliProcess(["connect", "--json"], { cwd, env, stdin: true });
    await connect.out(/"type":"welcome"/);
    await connect.write(JSON.stringify({ type: "subscribe", id: 1, topic: "chat:lobby" }) + "\n");
    await connect.out(/"type":"ack","id":1/);
    await connect.write(
      JSON.stringify({ type: "publish", id: 2, topic: "chat:lobby", payload: { n: 1 } }) + "\n",
    );
    await connect.out(/"type":"message".*"payload":\{"n":1\}/);
    await connect.closeStdin();
    const connected = await connect.status();
    assert.equal(connected.code, 0, connected.stderr);
    const frames = connected.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(frames.map((f) => f.type).sort(), ["ack", "ack", "message", "welcome"]);
    assert.equal(frames.find((f) => f.type === "welcome").user, "alice");
    assert.ok(!connected.stdout.includes("realtime-cli:drain"), "the drain ping stays internal");

    // 6. SIGTERM stops the hub with exit status 0.
    serve.kill("SIGTERM");
    const served = await serve.status();
    assert.equal(served.code, 0, served.stderr);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("realtime-cli connect runs typed session commands from a pipe", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "realtime-cli-repl-" });
  try {
    const port = freePort();
    await using _serve = await startServe(cwd, port);
    const token = (await runCli(
      ["token", "mint", "--sub", "bob", "--acl", "chat:*=subscribe,publish"],
      { cwd },
    )).stdout.trim();
    const env = baseEnv({ REALTIME_URL: `127.0.0.1:${port}`, REALTIME_TOKEN: token });
    const session = await runCli(["connect"], {
      cwd,
      env,
      stdin: [
        "help",
        "sub chat:lobby",
        "pub chat:lobby hello there",
        "pub admin:x 1",
        "ping",
        "frobnicate",
        "quit",
      ].join("\n") + "\n",
    });
    assert.equal(session.code, 0, session.stderr);
    const out = session.stdout;
    assert.match(out, /^welcome user bob, connection \S+, token expires .*\(in 14m/m);
    assert.match(out, /sub TOPIC +subscribe to a topic/);
    assert.match(out, /^ack #1$/m);
    assert.match(out, /^message \S+ chat:lobby bob "hello there"$/m);
    assert.match(out, /^error #3 FORBIDDEN: /m);
    assert.match(out, /^pong #4$/m);
    assert.match(out, /Unknown command 'frobnicate'/);
    assert.ok(!out.includes("\x1b["), "no colour when stdout is not a terminal");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
