// tail against a hub that goes away and comes back on the same port.

import assert from "node:assert/strict";
import { baseEnv, CliProcess, freePort, runCli, startServe } from "./_cli.ts";

Deno.test("realtime-cli tail reconnects and resubscribes after a hub restart", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "realtime-cli-restart-" });
  try {
    const port = freePort();
    const token = (await runCli(
      ["token", "mint", "--sub", "carol", "--acl", "news:**=subscribe,publish"],
      { cwd },
    )).stdout.trim();
    const env = baseEnv({ REALTIME_URL: `ws://127.0.0.1:${port}/ws`, REALTIME_TOKEN: token });

    const first = await startServe(cwd, port);
    await using tail = new CliProcess(["tail", "news:**", "--count", "2", "--json"], { cwd, env });
    try {
      await tail.err(/subscribed to news:\*\*/);
      const before = await runCli(["publish", "news:tech", '"before"'], { cwd, env });
      assert.equal(before.code, 0, before.stderr);
      await tail.out(/"payload":"before"/);
    } finally {
      first.kill("SIGTERM");
      assert.equal((await first.status()).code, 0);
    }
    await tail.err(/connection lost \(1001 server going away/);

    await using second = await startServe(cwd, port);
    await tail.err(/subscribed to news:\*\*/, 20_000, 2);
    const after = await runCli(["publish", "news:sport", '"after"'], { cwd, env });
    assert.equal(after.code, 0, after.stderr);

    const done = await tail.status();
    assert.equal(done.code, 0, done.stderr);
    const messages = done.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(messages.map((m) => [m.topic, m.payload, m.from]), [
      ["news:tech", "before", "carol"],
      ["news:sport", "after", "carol"],
    ]);
    second.kill("SIGTERM");
    assert.equal((await second.status()).code, 0);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("realtime-cli tail stops with exit code 2 when the hub revokes the token", async () => {
  const { startTestHub } = await import("../_support/hub.ts");
  await using hub = await startTestHub("ws");
  const token = await hub.token({ sub: "dave", acl: { "chat:*": ["subscribe"] } });
  await using tail = new CliProcess(["tail", "chat:*"], {
    env: baseEnv({ REALTIME_URL: hub.url, REALTIME_TOKEN: token }),
  });
  await tail.err(/subscribed to chat:\*/);
  const disconnected = hub.hub.disconnectUser("dave");
  assert.ok(disconnected >= 1);
  const done = await tail.status();
  assert.equal(done.code, 2, done.stderr);
  assert.match(done.stderr, /4003 access revoked/);
  assert.doesNotMatch(done.stderr, /reconnecting/);
});
