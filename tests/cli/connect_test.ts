// connect --json against both transports, with every way of sending the token.

import assert from "node:assert/strict";
import { startTestHub, TRANSPORTS } from "../_support/hub.ts";
import { baseEnv, CliProcess, runCli } from "./_cli.ts";

for (const transport of TRANSPORTS) {
  Deno.test(`realtime-cli connect authenticates with every --token-via [${transport}]`, async () => {
    await using hub = await startTestHub(transport);
    const token = await hub.token({ sub: "grace" });
    const env = baseEnv({ REALTIME_URL: hub.url, REALTIME_TOKEN: token });
    const results = await Promise.all(
      ["header", "subprotocol", "query", "message"].map((via) =>
        runCli(["connect", "--json", "--token-via", via], {
          env,
          stdin: '{"type":"ping","id":"p1"}\n',
        })
      ),
    );
    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      const frames = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
      assert.equal(frames[0].type, "welcome");
      assert.equal(frames[0].user, "grace");
      assert.deepEqual(frames[1], { type: "pong", id: "p1" });
      assert.equal(frames.length, 2);
    }
  });
}

Deno.test("realtime-cli connect without a token authenticates with a typed auth command", async () => {
  await using hub = await startTestHub("ws");
  const token = await hub.token({ sub: "heidi", acl: { "chat:*": ["subscribe"] } });
  const result = await runCli(["connect", hub.url], {
    env: baseEnv(),
    stdin: `auth ${token}\nsub chat:a\n`,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /without a token: type 'auth TOKEN'/);
  assert.match(result.stdout, /^welcome #1 user heidi/m);
  assert.match(result.stdout, /^ack #2$/m);
});

Deno.test("realtime-cli connect exits with the hub's close code when it is disconnected", async () => {
  await using hub = await startTestHub("ws");
  const token = await hub.token({ sub: "ivan" });
  await using connect = new CliProcess(["connect", "--json", "--token", token, "--url", hub.url], {
    stdin: true,
  });
  await connect.out(/"type":"welcome"/);
  hub.hub.disconnectUser("ivan", "Bye");
  const result = await connect.status();
  assert.equal(result.code, 2);
  assert.match(result.stderr, /The hub closed the connection \(4003 access revoked: Bye\)/);
});

Deno.test("realtime-cli connect --json exits with the code of the first error frame", async () => {
  await using hub = await startTestHub("ws");
  const token = await hub.token({ sub: "judy", acl: { "chat:*": ["subscribe"] } });
  const env = baseEnv({ REALTIME_URL: hub.url, REALTIME_TOKEN: token });
  const [forbidden, malformed, clean] = await Promise.all([
    runCli(["connect", "--json"], {
      env,
      stdin: '{"type":"publish","id":1,"topic":"chat:a","payload":1}\n{"type":"nope","id":2}\n',
    }),
    runCli(["connect", "--json"], { env, stdin: '{"type":"subscribe","id":1,"topic":"a::b"}\n' }),
    runCli(["connect", "--json"], { env, stdin: '{"type":"subscribe","id":1,"topic":"chat:a"}\n' }),
  ]);
  const frames = (text: string) => text.trim().split("\n").map((line) => JSON.parse(line));

  assert.equal(forbidden.code, 2, forbidden.stderr);
  const errors = frames(forbidden.stdout).filter((f) => f.type === "error");
  assert.deepEqual(errors.map((f) => f.code), ["FORBIDDEN", "BAD_REQUEST"]);
  assert.match(forbidden.stderr, /answered with 2 error frames \(the first FORBIDDEN\)/);

  assert.equal(malformed.code, 1, malformed.stderr);
  assert.match(malformed.stderr, /answered with 1 error frame \(the first BAD_REQUEST\)/);

  assert.equal(clean.code, 0, clean.stderr);
  assert.deepEqual(frames(clean.stdout).map((f) => f.type), ["welcome", "ack"]);
});

Deno.test("realtime-cli connect reads history and presence as typed commands", async () => {
  await using hub = await startTestHub("ws", {
    history: [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }],
  });
  await hub.hub.publish("chat:a", { n: 1 });
  await hub.hub.publish("chat:a", { n: 2 });
  const token = await hub.token({
    sub: "kim",
    acl: { "chat:*": ["subscribe", "history", "presence"], "room:*": ["subscribe"] },
    info: { name: "Kim" },
  });
  const result = await runCli(["connect", hub.url], {
    env: baseEnv({ REALTIME_TOKEN: token }),
    stdin: [
      "sub chat:a",
      "history chat:a --limit 1 --reverse",
      "presence chat:a",
      "presence chat:a --stats",
      "history chat:*",
      "history room:1",
      "ping",
    ].join("\n") + "\n",
  });
  assert.equal(result.code, 0, result.stderr);
  // Answers print as they arrive, as acks do: compare without their order.
  const lines = result.stdout.trim().split("\n").slice(1).map((line) =>
    line.replace(/\d{4}-\S+Z/, "TIME").replace(/[0-9a-f]{6,}\.\d+/g, "EPOCH").replace(
      /^kim \S+/,
      "kim CONNECTION",
    )
  ).sort();
  assert.deepEqual(lines, [
    '#2 TIME chat:a - {"n":2}',
    "1 connections, 1 users",
    "1 connections, 1 users on 'chat:a'",
    "1 publications; 'chat:a' is at offset 2 of epoch EPOCH (tail --since 2:EPOCH)",
    "Cannot read the history of 'room:1': Not allowed to read the history of 'room:1' (FORBIDDEN)",
    "History needs a concrete topic, got the pattern 'chat:*'",
    "ack #1",
    'kim CONNECTION {"name":"Kim"}',
    "pong #2",
  ]);
});
