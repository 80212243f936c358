// Several --url: tail moves to the next hub when its hub goes away (the
// client's reconnect schedule), and tail and connect start on the first hub
// that answers. Real hubs on 127.0.0.1; a port nothing listens on stands for
// a hub that is down.

import assert from "node:assert/strict";
import { RealtimeClient } from "../../src/client/mod.ts";
import { startTestHub } from "../_support/hub.ts";
import { startRestartableHub } from "../client/_helpers.ts";
import { baseEnv, CliProcess, freePort, runCli } from "./_cli.ts";

const ACL = { "chat:*": ["subscribe", "publish"] };

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

Deno.test("realtime-cli tail moves to the next --url when its hub goes away", async () => {
  await using a = await startRestartableHub("ws");
  await using b = await startRestartableHub("ws");
  const token = await a.token({ sub: "carol", acl: ACL });
  await using tail = new CliProcess(
    ["tail", "chat:*", "--json", "--count", "2", "--url", a.url, "--url", b.url],
    { env: baseEnv({ REALTIME_TOKEN: token }) },
  );
  await tail.err(new RegExp(`subscribed to chat:\\* on ${escape(a.url)} as carol`));
  await using onA = new RealtimeClient({ url: a.url, token });
  await onA.publish("chat:lobby", "on a");
  await tail.out(/"payload":"on a"/);

  await a.stop({ graceful: true });
  await tail.err(new RegExp(`connection lost \\(1001 .*reconnecting in \\S+ on ${escape(b.url)}`));
  await tail.err(new RegExp(`subscribed to chat:\\* on ${escape(b.url)} as carol`));
  await using onB = new RealtimeClient({ url: b.url, token });
  await onB.publish("chat:lobby", "on b");

  const done = await tail.status();
  assert.equal(done.code, 0, done.stderr);
  const payloads = done.stdout.trim().split("\n").map((line) => JSON.parse(line).payload);
  assert.deepEqual(payloads, ["on a", "on b"]);
});

Deno.test("realtime-cli tail and connect start on the first --url that answers", async () => {
  await using hub = await startTestHub("ws");
  const token = await hub.token({ sub: "dave", acl: ACL });
  const down = `ws://127.0.0.1:${freePort()}/ws`;
  const env = baseEnv({ REALTIME_TOKEN: token });

  await using tail = new CliProcess(
    ["tail", "chat:a", "--count", "1", "--json", "--url", down, "--url", hub.url],
    { env },
  );
  await tail.err(new RegExp(`subscribed to chat:a on ${escape(hub.url)}`));
  await using rt = new RealtimeClient({ url: hub.url, token });
  await rt.publish("chat:a", "hi");
  const tailed = await tail.status();
  assert.equal(tailed.code, 0, tailed.stderr);
  assert.match(tailed.stderr, new RegExp(`Cannot connect to ${escape(down)}.*retrying in`));

  const connected = await runCli(["connect", "--json", "--url", down, "--url", hub.url], {
    env,
    stdin: '{"type":"ping","id":1}\n',
  });
  assert.equal(connected.code, 0, connected.stderr);
  assert.match(connected.stdout, /"type":"pong"/);
  assert.match(connected.stderr, new RegExp(`; trying ${escape(hub.url)}`));

  // Every URL down: both give up with exit 3 once each was tried.
  const nowhere = ["--url", down, "--url", `ws://127.0.0.1:${freePort()}/ws`];
  const failedTail = await runCli(["tail", "chat:a", ...nowhere], { env });
  assert.equal(failedTail.code, 3, failedTail.stderr);
  const failedConnect = await runCli(["connect", "--json", ...nowhere], { env, stdin: "" });
  assert.equal(failedConnect.code, 3, failedConnect.stderr);
});
