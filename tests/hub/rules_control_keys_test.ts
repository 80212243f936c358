// Rules carried by the engine's control channel keep secret signing keys
// off the wire, with two hubs and a real redis-server on 127.0.0.1: the
// update_rules command names a secret by fingerprint (what redis-cli sees
// on the channel holds no secret), a hub configured with the same key
// resolves it, and a hub without it keeps its rules and says why.

import assert from "node:assert/strict";
import { createHub } from "../../src/server/create_hub.ts";
import { createRedisEngine } from "../../src/engine/redis/redis_engine.ts";
import type { AclRule } from "../../src/acl/rules.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { SECRET } from "../_support/hub.ts";
import { withTimeout } from "../_support/client.ts";

const KEY = "a-publication-secret-shared-by-the-hubs!";

const SIGNED: AclRule = {
  id: "prices",
  effect: "allow",
  actions: ["publish"],
  topics: ["prices:*"],
  signed: { keys: KEY },
};
const CONFIGURED: AclRule[] = [{ effect: "allow", actions: ["subscribe"], topics: ["**"] }, SIGNED];

/** A log sink that resolves `next(event)` when an entry of that event arrives. */
function watchLog() {
  const entries: LogEntry[] = [];
  const waiting: [string, (entry: LogEntry) => void][] = [];
  return {
    entries,
    sink(entry: LogEntry) {
      entries.push(entry);
      for (const [event, resolve] of waiting) if (entry.event === event) resolve(entry);
    },
    next(event: string): Promise<LogEntry> {
      return new Promise((resolve) => waiting.push([event, resolve]));
    },
  };
}

Deno.test("hub.updateRules sends secret signing keys to other hubs by fingerprint only", async () => {
  await using redis = await startRedisServer();
  // What crosses Redis on every channel, as an outsider with redis-cli sees it.
  const cli = new Deno.Command("redis-cli", {
    args: ["-p", String(redis.port), "--no-raw", "psubscribe", "*"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const wire: string[] = [];
  const reader = cli.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { promise: subscribed, resolve: onSubscribed } = Promise.withResolvers<void>();
  const { promise: carried, resolve: onCarried } = Promise.withResolvers<void>();
  const reading = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      wire.push(r.value);
      const all = wire.join("");
      if (all.includes("psubscribe")) onSubscribed();
      if (all.includes("update_rules")) onCarried();
    }
  })();
  const logs = { a: watchLog(), b: watchLog(), c: watchLog() };
  const quiet = { log: () => {} };
  const hubs = [];
  try {
    await withTimeout(subscribed, 5000, "redis-cli to subscribe");
    const engine = () => createRedisEngine({ url: redis.url, ...quiet });
    const a = createHub({
      auth: { secret: SECRET },
      engine: await engine(),
      acl: { rules: CONFIGURED },
      log: logs.a.sink,
    });
    const b = createHub({
      auth: { secret: SECRET },
      engine: await engine(),
      acl: { rules: CONFIGURED },
      log: logs.b.sink,
    });
    // A hub never configured with the key.
    const c = createHub({
      auth: { secret: SECRET },
      engine: await engine(),
      acl: { rules: [CONFIGURED[0]] },
      log: logs.c.sink,
    });
    hubs.push(a, b, c);

    const updated = [...CONFIGURED, {
      effect: "deny",
      actions: ["publish"],
      topics: ["prices:closed"],
    } as AclRule];
    const applied = logs.b.next("acl.rules_updated");
    const refused = logs.c.next("acl.rules_refused");
    await a.updateRules(updated);
    await withTimeout(applied, 5000, "hub B to apply the rules");
    assert.equal(b.rules.length, 3);
    assert.equal(b.rules[1].signed?.keys, KEY, "B resolved the fingerprint to its own key");

    const refusal = await withTimeout(refused, 5000, "hub C to refuse the rules");
    assert.match(
      String(refusal.message),
      /names the key sha256:[0-9a-f]{32}, which this hub does not hold/,
    );
    assert.equal(c.rules.length, 1, "C kept its rules");

    await withTimeout(carried, 5000, "the command on the wire");
    const seen = wire.join("");
    assert.match(seen, /update_rules/);
    assert.match(seen, /sha256:[0-9a-f]{32}/);
    assert.equal(seen.includes(KEY), false, "no secret crossed Redis");
    for (const log of Object.values(logs)) {
      assert.equal(JSON.stringify(log.entries).includes(KEY), false);
    }
  } finally {
    for (const hub of hubs) {
      await hub.close();
      await hub.engine.close();
    }
    cli.kill("SIGTERM");
    await cli.status;
    await reading.catch(() => {});
  }
});
