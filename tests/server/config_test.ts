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
