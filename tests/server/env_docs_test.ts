// Every REALTIME_* variable docs/configuration.md documents must change the server's
// configuration, and every other REALTIME_* name is refused: docs and code
// cannot drift apart.

import assert from "node:assert/strict";
import { loadServerConfig } from "../../src/server/config.ts";
import { startServer } from "../../src/server/start.ts";

const CONFIGURATION = new URL("../../docs/configuration.md", import.meta.url);
/** Read by `realtime-cli`, not by the server. */
const CLI_ONLY = new Set(["REALTIME_TOKEN", "REALTIME_URL"]);

/** A valid value for each server variable; a new documented one needs an entry here. */
function sampleValues(configFile: string): Record<string, string> {
  return {
    REALTIME_HOST: "127.0.0.2",
    REALTIME_TRANSPORT: "deno",
    REALTIME_ENV: "production",
    REALTIME_JWT_SECRET: "a-secret-of-at-least-32-bytes-long!!",
    REALTIME_JWT_PUBLIC_KEY:
      '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}',
    REALTIME_JWKS_URL: "https://idp.example/jwks.json",
    REALTIME_JWT_ALGORITHMS: "ES256",
    REALTIME_JWT_ISSUER: "https://idp.example",
    REALTIME_JWT_AUDIENCE: "hub",
    REALTIME_ALLOWED_ORIGINS: "https://app.example",
    REALTIME_ADMIN_KEY: "an-admin-key-of-24-chars",
    REALTIME_METRICS: "off",
    REALTIME_METRICS_PORT: "9100",
    REALTIME_REDIS_URL: "redis://127.0.0.1:6379",
    REALTIME_ACCOUNTS: "sqlite:/tmp/realtime-accounts-never-opened.db",
    REALTIME_DEMO: "off",
    REALTIME_PROXY_SECRET: "a-proxy-secret-of-at-least-32-bytes!",
    REALTIME_WEBHOOK_SECRET: "a-webhook-secret-of-32-bytes-min!",
    REALTIME_CONFIG: configFile,
  };
}

async function documentedVariables(): Promise<string[]> {
  const text = await Deno.readTextFile(CONFIGURATION);
  return [...new Set(text.match(/\bREALTIME_[A-Z0-9_]+\b/g) ?? [])].sort();
}

Deno.test("loadServerConfig gives every REALTIME_* variable in docs/configuration.md an effect", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify({ port: 1234 }));
    const samples = sampleValues(file);
    const documented = await documentedVariables();
    assert.ok(documented.length >= 14, `found only ${documented.join(", ")}`);
    const baseline = await loadServerConfig({});
    for (const name of documented) {
      const value = samples[name];
      if (CLI_ONLY.has(name)) {
        // Still accepted by the server, so a shell that exports it can start a hub.
        assert.deepEqual(await loadServerConfig({ [name]: "x" }), baseline, name);
        continue;
      }
      assert.ok(value !== undefined, `${name} is documented but has no sample value in this test`);
      const config = await loadServerConfig({ [name]: value });
      assert.notDeepEqual(config, baseline, `${name}=${value} changed nothing`);
    }
    // And the other way round: every sample is documented.
    for (const name of Object.keys(samples)) assert.ok(documented.includes(name), name);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("loadServerConfig reads the admin key and metrics variables", async () => {
  const config = await loadServerConfig({
    REALTIME_ADMIN_KEY: "an-admin-key-of-24-chars",
    REALTIME_METRICS: "public",
    REALTIME_METRICS_PORT: "9100",
    REALTIME_ACCOUNTS: "sqlite:/tmp/realtime-accounts-never-opened.db",
  });
  assert.equal(config.adminKey, "an-admin-key-of-24-chars");
  assert.equal(config.metrics, "public");
  assert.equal(config.metricsPort, 9100);
});

Deno.test("loadServerConfig refuses an unknown REALTIME_* name, suggesting the closest", async () => {
  await assert.rejects(
    loadServerConfig({ REALTIME_METRIC: "off" }),
    (e: Error) =>
      e instanceof TypeError &&
      e.message ===
        "Cannot use environment variable 'REALTIME_METRIC': it is not a known setting (did you mean 'REALTIME_METRICS'?)",
  );
  await assert.rejects(
    loadServerConfig({ REALTIME_ADMINKEY: "k" }),
    /did you mean 'REALTIME_ADMIN_KEY'/,
  );
  await assert.rejects(
    loadServerConfig({ REALTIME_JWT_SECRETS: "s" }),
    /did you mean 'REALTIME_JWT_SECRET'/,
  );
  // A whole-word prefix means the longer name, not the one a few edits away.
  await assert.rejects(
    loadServerConfig({ REALTIME_REDIS: "redis://127.0.0.1:6379" }),
    (e: Error) =>
      e.message ===
        "Cannot use environment variable 'REALTIME_REDIS': it is not a known setting (did you mean 'REALTIME_REDIS_URL'?)",
  );
  // No close name: no guess.
  await assert.rejects(
    loadServerConfig({ REALTIME_FOO: "1" }),
    (e: Error) =>
      e.message === "Cannot use environment variable 'REALTIME_FOO': it is not a known setting",
  );
  // Other prefixes are not ours to judge.
  assert.equal((await loadServerConfig({ REALTIMEX: "1", HOME: "/root" })).port, undefined);
});

Deno.test("loadServerConfig refuses bad admin key and metrics values without echoing the key", async () => {
  const key = "short-secret";
  await assert.rejects(loadServerConfig({ REALTIME_ADMIN_KEY: key }), (e: Error) => {
    assert.ok(e instanceof RangeError);
    assert.equal(
      e.message,
      "Cannot use REALTIME_ADMIN_KEY as it has 12 characters: at least 16 are required",
    );
    assert.ok(!e.message.includes(key));
    return true;
  });
  await assert.rejects(
    loadServerConfig({ REALTIME_METRICS: "on" }),
    /metrics as 'on': use "public"/,
  );
  await assert.rejects(
    loadServerConfig({ REALTIME_METRICS_PORT: "x" }),
    /REALTIME_METRICS_PORT 'x'/,
  );
  await assert.rejects(loadServerConfig({ REALTIME_METRICS_PORT: "" }), RangeError);
  await assert.rejects(loadServerConfig({ REALTIME_METRICS_PORT: "70000" }), RangeError);
});

Deno.test("startServer honours REALTIME_ADMIN_KEY and REALTIME_METRICS over real sockets", async () => {
  const key = "an-admin-key-of-24-chars";
  const config = await loadServerConfig({
    PORT: "0",
    REALTIME_HOST: "127.0.0.1",
    REALTIME_JWT_SECRET: "a-secret-of-at-least-32-bytes-long!!",
    REALTIME_ADMIN_KEY: key,
    REALTIME_METRICS: "off",
  });
  await using started = await startServer(config, {
    log: () => {},
    fetch: () => new Response("app", { status: 404 }),
  });
  const base = `http://127.0.0.1:${started.server.port}`;
  const stats = await fetch(`${base}/v1/realtime/stats`, {
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(stats.status, 200);
  await stats.body?.cancel();
  const wrong = await fetch(`${base}/v1/realtime/stats`, {
    headers: { authorization: "Bearer not-the-admin-key-at-all" },
  });
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  // Metrics off: /metrics is the application's path like any other.
  const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(await metrics.text(), "app");
});

Deno.test("startServer takes trustProxy from the config file and validates it at start", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({ trustProxy: { hops: 1, addresses: ["10.0.0.0/33"] } }),
    );
    const config = await loadServerConfig({
      PORT: "0",
      REALTIME_HOST: "127.0.0.1",
      REALTIME_JWT_SECRET: "a-secret-of-at-least-32-bytes-long!!",
    }, file);
    assert.deepEqual(config.trustProxy, { hops: 1, addresses: ["10.0.0.0/33"] });
    await assert.rejects(startServer(config, { log: () => {} }), /'trustProxy.addresses' holds/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("loadServerConfig lets through every REALTIME_* name realtime-cli reads", async () => {
  // A shell set up for the CLI (login --help documents REALTIME_REFRESH_FILE) must start a hub.
  const root = new URL("../../", import.meta.url);
  const names = new Set<string>();
  const files = [new URL("cli.ts", root)];
  for await (const entry of Deno.readDir(new URL("src/cli/commands/", root))) {
    files.push(new URL(`src/cli/commands/${entry.name}`, root));
  }
  for await (const entry of Deno.readDir(new URL("src/cli/", root))) {
    if (entry.isFile) files.push(new URL(`src/cli/${entry.name}`, root));
  }
  for (const file of files) {
    for (const [name] of (await Deno.readTextFile(file)).matchAll(/\bREALTIME_[A-Z0-9_]+\b/g)) {
      names.add(name);
    }
  }
  assert.ok(names.has("REALTIME_REFRESH_FILE") && names.has("REALTIME_TOKEN"), [...names].join());
  const baseline = await loadServerConfig({});
  const serverNames = new Set(Object.keys(sampleValues("unused.json")));
  for (const name of [...names].filter((n) => !serverNames.has(n)).sort()) {
    // Let through, and read by nobody here.
    assert.deepEqual(await loadServerConfig({ [name]: "x" }), baseline, name);
  }
});
