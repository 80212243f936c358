// The `proxy` section of the config file and REALTIME_PROXY_SECRET: checked
// at load, with messages that name the field and never quote the secret.

import assert from "node:assert/strict";
import { checkProxyConfig, type ProxyConfig } from "../../src/server/proxy/proxy_config.ts";
import { loadServerConfig } from "../../src/server/config.ts";

const SECRET = "a-proxy-secret-of-at-least-32-bytes!";
const URL = "http://127.0.0.1:8001/realtime/publish";

Deno.test("checkProxyConfig refuses each wrong field by name", () => {
  const cases: [unknown, RegExp][] = [
    [{ secret: SECRET, publish: { url: "ftp://x" } }, /'proxy.publish.url'/],
    [{ secret: SECRET, publish: { url: URL, timeoutMs: 0 } }, /'proxy.publish.timeoutMs' 0/],
    [{ secret: SECRET, connect: { url: URL, headers: "cookie" } }, /'proxy.connect.headers'/],
    [{ secret: SECRET, rpc: [{ url: URL, methods: [] }] }, /'proxy.rpc\[0\].methods'/],
    [{ secret: SECRET, rpc: [{ url: URL, methods: ["a b"] }] }, /'proxy.rpc\[0\].methods'/],
    [{ secret: SECRET, maxConcurrent: 1.5 }, /'proxy.maxConcurrent' 1.5/],
    [{ secret: SECRET, pubish: { url: URL } }, /'proxy.pubish'/],
    [{ publish: { url: URL } }, /without 'proxy.secret'/],
    [{ secret: "short-secret", publish: { url: URL } }, /has 12 bytes: at least 32/],
  ];
  for (const [config, message] of cases) {
    assert.throws(() => checkProxyConfig(config as ProxyConfig), message, JSON.stringify(config));
  }
  try {
    checkProxyConfig({ secret: "short-secret" });
  } catch (error) {
    assert.ok(!(error as Error).message.includes("short-secret"));
  }
  assert.doesNotThrow(() =>
    checkProxyConfig({ secret: SECRET, rpc: [{ url: URL, methods: ["chat.*", "*", "whoami"] }] })
  );
});

Deno.test("loadServerConfig takes the proxy secret from REALTIME_PROXY_SECRET over the file", async () => {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify({ proxy: { secret: "x".repeat(40), publish: { url: URL } } }),
    );
    const config = await loadServerConfig({ REALTIME_PROXY_SECRET: SECRET }, file);
    assert.equal(config.proxy?.secret, SECRET);
    assert.equal(config.proxy?.publish?.url, URL);
    await Deno.writeTextFile(file, JSON.stringify({ proxy: { publish: { url: URL } } }));
    await assert.rejects(loadServerConfig({}, file), /without 'proxy.secret'/);
  } finally {
    await Deno.remove(file);
  }
});
