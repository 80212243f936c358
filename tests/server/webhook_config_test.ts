// The `webhooks` section of the config file and REALTIME_WEBHOOK_SECRET:
// checked once at load, with errors that name the field and never the secret.

import assert from "node:assert/strict";
import { loadServerConfig } from "../../src/server/config.ts";
import { checkWebhookConfig } from "../../src/server/webhooks/webhook_config.ts";

const SECRET = "a-webhook-secret-of-32-bytes-min!";
const URL_ = "http://127.0.0.1:8001/realtime/webhook";

async function withConfigFile<T>(config: unknown, fn: (file: string) => Promise<T>): Promise<T> {
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify(config));
    return await fn(file);
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("loadServerConfig takes the webhook secret from REALTIME_WEBHOOK_SECRET over the file", async () => {
  await withConfigFile({ webhooks: { url: URL_, secret: "x".repeat(40) } }, async (file) => {
    const config = await loadServerConfig({ REALTIME_WEBHOOK_SECRET: SECRET }, file);
    assert.equal(config.webhooks?.secret, SECRET);
    assert.equal(config.webhooks?.maxQueue, 10_000, "defaults applied");
  });
});

Deno.test("loadServerConfig refuses a webhooks section without a secret, never quoting it", async () => {
  await withConfigFile({ webhooks: { url: URL_, secret: "short-secret" } }, async (file) => {
    await assert.rejects(loadServerConfig({}, file), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /has 12 bytes: at least 32 are required/);
      assert.ok(!e.message.includes("short-secret"));
      return true;
    });
  });
});

Deno.test("checkWebhookConfig names the field that is wrong", () => {
  const table: [Record<string, unknown>, RegExp][] = [
    [{ url: "ftp://x", secret: SECRET }, /'webhooks.url'/],
    [{ url: URL_, secret: SECRET, maxBatch: 0 }, /'webhooks.maxBatch' 0/],
    [{ url: URL_, secret: SECRET, retryMinMs: 10, retryMaxMs: 5 }, /retryMaxMs/],
    [{ url: URL_, secret: SECRET, events: ["joined"] }, /'webhooks.events'/],
    [{ url: URL_, secret: SECRET, events: ["publication"] }, /without 'webhooks.topics'/],
    [{ url: URL_, secret: SECRET, topics: ["ch*"] }, /'webhooks.topics\[0\]'/],
    [{ url: URL_, secret: SECRET, batch: 3 }, /'webhooks.batch': the fields are/],
  ];
  for (const [config, message] of table) {
    assert.throws(() => checkWebhookConfig(config as never), message, JSON.stringify(config));
  }
  const ok = checkWebhookConfig({
    url: URL_,
    secret: SECRET,
    events: ["connect", "publication"],
    topics: ["chat:*", "orders:eu"],
  });
  assert.deepEqual(ok.topics, ["chat:*", "orders:eu"]);
});
