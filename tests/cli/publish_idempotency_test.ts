// realtime-cli publish --idempotency-key against a real hub on 127.0.0.1:
// running the same command (or the same stdin) again publishes nothing
// twice; a bad key is a usage error before anything is sent.

import assert from "node:assert/strict";
import { startTestHub } from "../_support/hub.ts";
import { baseEnv, runCli } from "./_cli.ts";

const HISTORY = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];

Deno.test("realtime-cli publish --idempotency-key publishes a repeated command once", async () => {
  await using h = await startTestHub("deno", { history: HISTORY });
  const env = baseEnv({
    REALTIME_URL: h.url,
    REALTIME_TOKEN: await h.token({ sub: "alice", acl: { "chat:*": ["publish"] } }),
  });
  const stored = async () =>
    (await h.hub.history("chat:a", { limit: 100 })).publications.map((p) => p.publication.data);
  for (let run = 0; run < 2; run++) {
    const one = await runCli(["publish", "chat:a", "paid", "--idempotency-key", "order-42"], {
      env,
    });
    assert.equal(one.code, 0, one.stderr);
  }
  assert.deepEqual(await stored(), ['"paid"']);
  // From stdin, line n carries order-7-n: the same input again adds nothing.
  for (let run = 0; run < 2; run++) {
    const lines = await runCli(["publish", "chat:a", "--idempotency-key", "order-7"], {
      env,
      stdin: "one\ntwo\n",
    });
    assert.equal(lines.code, 0, lines.stderr);
  }
  assert.deepEqual(await stored(), ['"paid"', '"one"', '"two"']);
  for (const bad of ["has space", "x".repeat(65)]) {
    const refused = await runCli(["publish", "chat:a", "no", "--idempotency-key", bad], { env });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--idempotency-key: 'idempotencyKey' must be 1 to 64 printable/);
  }
  const long = await runCli(["publish", "chat:a", "--idempotency-key", "y".repeat(49)], {
    env,
    stdin: "no\n",
  });
  assert.equal(long.code, 1);
  assert.match(long.stderr, /at most 48 are allowed/);
  assert.deepEqual(await stored(), ['"paid"', '"one"', '"two"']);
});
