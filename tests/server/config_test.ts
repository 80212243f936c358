import assert from "node:assert/strict";
import { hasConfiguredKey, loadServerConfig } from "../../src/server/config.ts";

Deno.test("loadServerConfig overlays environment variables on the config file", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        port: 9000,
        auth: { secret: "file-secret-file-secret-file-secret!!", issuer: "file" },
        acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["a:*"] }] },
      }),
    );
    const config = await loadServerConfig({
      PORT: "9100",
      REALTIME_JWKS_URL: "https://idp.example/jwks.json",
      REALTIME_JWT_AUDIENCE: "hub",
      REALTIME_ALLOWED_ORIGINS: "https://a.example, https://b.example",
    }, file);
    assert.equal(config.port, 9100);
    // A key from the environment replaces the file's key entirely.
    assert.equal(config.auth?.secret, undefined);
    assert.equal(config.auth?.jwksUrl, "https://idp.example/jwks.json");
    assert.deepEqual([config.auth?.issuer, config.auth?.audience], ["file", "hub"]);
    assert.deepEqual(config.allowedOrigins, ["https://a.example", "https://b.example"]);
    assert.equal(config.acl?.rules?.length, 1);
    assert.equal(hasConfiguredKey(config), true);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("loadServerConfig rejects bad files and values with clear messages", async () => {
  await assert.rejects(loadServerConfig({}, "/nonexistent/config.json"), /Cannot read config file/);
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, "{not json");
    await assert.rejects(loadServerConfig({}, file), /not valid JSON/);
    await Deno.writeTextFile(file, "[]");
    await assert.rejects(loadServerConfig({}, file), /must hold a JSON object/);
  } finally {
    await Deno.remove(file);
  }
  await assert.rejects(loadServerConfig({ PORT: "http" }), RangeError);
  await assert.rejects(loadServerConfig({ REALTIME_TRANSPORT: "tcp" }), /transport 'tcp'/);
  assert.equal(hasConfiguredKey(await loadServerConfig({})), false);
});

Deno.test("loadServerConfig reads REALTIME_ACCOUNTS and refuses a bad one without quoting it", async () => {
  assert.equal(
    (await loadServerConfig({ REALTIME_ACCOUNTS: "sqlite:.realtime/accounts.db" })).accounts,
    "sqlite:.realtime/accounts.db",
  );
  assert.equal(
    (await loadServerConfig({ REALTIME_ACCOUNTS: "postgres://hub:pw@db:5432/hub" })).accounts,
    "postgres://hub:pw@db:5432/hub",
  );
  assert.equal((await loadServerConfig({ REALTIME_ACCOUNTS: "off" })).accounts, false);
  for (
    const bad of ["mysql://root:s3cret-pw@db/x", "sqlite:", "postgres://:s3cret-pw@/x", "s3cret-pw"]
  ) {
    const error = await loadServerConfig({ REALTIME_ACCOUNTS: bad }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(error instanceof TypeError, bad);
    assert.match(error.message, /^Cannot use 'REALTIME_ACCOUNTS'/);
    assert.ok(!error.message.includes("s3cret-pw"), error.message);
  }
});

Deno.test("loadServerConfig lets realtime-cli's REALTIME_ACCOUNTS_DB through, so a shell exporting it can start a hub", async () => {
  assert.deepEqual(
    await loadServerConfig({ REALTIME_ACCOUNTS_DB: ".realtime/accounts.db" }),
    await loadServerConfig({}),
  );
});
