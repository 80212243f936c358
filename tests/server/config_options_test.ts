// The config file and the hub's options cannot drift: every HubOptions field
// is either plain data (settable from the file and handed to the hub) or
// named here as code-only, and a file setting every plain one reaches the hub.

import assert from "node:assert/strict";
import { loadServerConfig } from "../../src/server/config.ts";
import {
  PLAIN_HUB_OPTION_KEYS,
  type PlainHubOptions,
  plainHubOptions,
} from "../../src/hub/options.ts";

/** Fields that hold functions or objects with behaviour: no JSON file can set them. */
const CODE_ONLY = [
  "verifier",
  "authenticate",
  "authorize",
  "engine",
  "clock",
  "log",
  "generateId",
  "audit",
  "handlers",
  // The observer of the hub's events (the server's `webhooks` section makes one).
  "events",
  // The limits of the application's handlers, which only code can give.
  "handlerLimits",
];

/** The property names of interface `name` in `file`, as `deno doc --json` reads them. */
async function interfaceFields(file: string, name: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", file],
    stdout: "piped",
  }).output();
  const doc = JSON.parse(new TextDecoder().decode(output.stdout));
  const nodes = Object.values(doc.nodes ?? doc).flatMap((v: unknown) =>
    Array.isArray(v) ? v : (v as { symbols: unknown[] }).symbols
  ) as {
    name: string;
    declarations: { kind: string; def: { properties: { name: string }[] } }[];
  }[];
  const node = nodes.find((n) => n.name === name);
  assert.ok(node, `${name} not found in deno doc output`);
  return node.declarations.find((d) => d.kind === "interface")!.def.properties.map((p) => p.name);
}

Deno.test("PLAIN_HUB_OPTION_KEYS and the code-only fields cover HubOptions exactly", async () => {
  const fields = (await interfaceFields("src/hub/options.ts", "HubOptions")).sort();
  const covered = [...PLAIN_HUB_OPTION_KEYS, ...CODE_ONLY].sort();
  assert.deepEqual(covered, fields, "a HubOptions field is neither plain nor code-only");
});

Deno.test("loadServerConfig hands every plain hub option from the file to the hub", async () => {
  const every: Required<PlainHubOptions> = {
    auth: { issuer: "https://issuer.example", clockToleranceSec: 3 },
    tokenSources: { query: false },
    firstMessageTimeoutMs: 1234,
    allowedOrigins: ["https://app.example"],
    reject: "close",
    acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["news:*"] }] },
    decisionCache: { max: 7, ttlMs: 8 },
    limits: { maxSubscriptions: 9 },
    tokenExpiringLeadMs: 4321,
    trustProxy: { hops: 2, addresses: ["10.0.0.0/8"] },
    revocationTtlMs: 99,
    anonymous: true,
    history: [{ pattern: "chat:*", size: 10, ttlMs: 1000 }],
    maxHistoryBytes: 1_000_000,
    idempotencyWindowMs: 60_000,
    maxIdempotencyKeys: 10,
    maxIdempotencyKeysTotal: 5000,
    maxRecover: 50,
    presence: false,
    presenceInfoClaim: "profile",
    node: { name: "hub-east-1", announceIntervalMs: 1000, ttlMs: 3000 },
    sse: { retryMs: 500, lastEventIdParam: "since" },
    stomp: { destinations: { separator: "." }, heartbeatMs: 5000 },
    coalesceMs: 3,
  };
  // The compiler holds `every` to every key; this holds the list to it too.
  assert.deepEqual(Object.keys(every).sort(), [...PLAIN_HUB_OPTION_KEYS].sort());
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify({ port: 9000, ...every }));
    const config = await loadServerConfig({}, file);
    assert.deepEqual(plainHubOptions(config), every);
    assert.equal(config.port, 9000);
  } finally {
    await Deno.remove(file);
  }
});

/** The names in docs/configuration.md's `REALTIME_CONFIG` row: what it says a config file may hold. */
async function documentedConfigKeys(): Promise<string[]> {
  const docs = await Deno.readTextFile(new URL("../../docs/configuration.md", import.meta.url));
  const row = docs.split("\n").find((line) => line.startsWith("| `REALTIME_CONFIG`"));
  assert.ok(row, "docs/configuration.md has no REALTIME_CONFIG row");
  const meaning = row.split("|")[2];
  return [...meaning.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]);
}

Deno.test("docs/configuration.md's REALTIME_CONFIG row names every config file key, and only those", async () => {
  const documented = (await documentedConfigKeys()).sort();
  // ServerConfig restates a hub option whose server default differs (reject): one key.
  const keys = [
    ...new Set([
      ...await interfaceFields("src/server/config.ts", "ServerConfig"),
      ...PLAIN_HUB_OPTION_KEYS,
    ]),
  ].sort();
  assert.deepEqual(documented, keys);
});
