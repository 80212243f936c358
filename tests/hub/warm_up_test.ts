// hub.warmUp runs what a connection runs on made-up input before a server
// listens: it must leave no trace a user or operator would see.

import assert from "node:assert/strict";
import { createHub } from "../../src/server/create_hub.ts";
import type { LogEntry } from "../../src/hub/log.ts";

const secret = "a-warm-up-test-secret-of-at-least-32-bytes";

Deno.test("hub.warmUp touches no connection, metric, log or audit line", async () => {
  const logs: LogEntry[] = [];
  const audits: unknown[] = [];
  await using hub = createHub({
    auth: { secret, issuer: "warm-up-test", audience: ["hub"] },
    acl: { rules: [{ effect: "allow", actions: "*", topics: ["chat:*"] }] },
    log: (entry) => void logs.push(entry),
    audit: (event) => void audits.push(event),
  });
  const before = JSON.stringify(hub.metrics);
  await hub.warmUp();
  await hub.warmUp();
  assert.equal(JSON.stringify(hub.metrics), before);
  assert.deepEqual([logs, audits], [[], []]);
  assert.equal(hub.stats().connections, 0);
  assert.equal(hub.isRevoked({ sub: "warm-up", roles: [], claims: {}, expiresAt: null }), false);
});

Deno.test("hub.warmUp settles with a verifier that cannot be minted for", async () => {
  const { publicKey } = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", publicKey);
  const audits: unknown[] = [];
  await using hub = createHub({
    auth: { publicKey: { ...jwk, alg: "ES256" } },
    audit: (event) => void audits.push(event),
    log: () => {},
  });
  await hub.warmUp();
  assert.deepEqual(audits, []);
});
