// The webhooks shell against a real hub on real sockets and a real HTTP
// backend (Deno.serve on 127.0.0.1): every event arrives signed, a backend
// answering 503 gets the same batch again, and the hub's metrics count it.

import assert from "node:assert/strict";
import { connectWelcomed, withTimeout } from "../_support/client.ts";
import { until } from "../_support/raw.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { checkWebhookConfig } from "../../src/server/webhooks/webhook_config.ts";
import { createWebhooks } from "../../src/server/webhooks/webhooks.ts";
import { verifyWebhook } from "../../src/server/webhooks/webhook_signature.ts";
import { renderPrometheus } from "../../src/metrics/prometheus.ts";
import type { LogEntry } from "../../src/hub/log.ts";

const WEBHOOK_SECRET = "a-webhook-secret-of-32-bytes-min!";

/** A backend that refuses its first `failFirst` requests with 503, then records what it takes. */
function startBackend(failFirst: number) {
  const received: Record<string, unknown>[] = [];
  const batchIds: string[] = [];
  let requests = 0;
  let badSignatures = 0;
  let waiter: (() => void) | undefined;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const body = await req.text();
    const headers = Object.fromEntries(req.headers);
    if (!(await verifyWebhook(WEBHOOK_SECRET, headers, body, Math.floor(Date.now() / 1000)))) {
      badSignatures++;
      return new Response("bad signature", { status: 401 });
    }
    if (requests++ < failFirst) return new Response("busy", { status: 503 });
    batchIds.push(headers["webhook-id"]);
    received.push(...JSON.parse(body).events);
    waiter?.();
    return new Response(null, { status: 204 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/webhook`,
    received,
    batchIds,
    get requests() {
      return requests;
    },
    get badSignatures() {
      return badSignatures;
    },
    /** Waits until `done` holds of what was received. */
    async until(done: () => boolean, what: string): Promise<void> {
      while (!done()) {
        await withTimeout(new Promise<void>((resolve) => waiter = resolve), 10_000, what);
      }
    },
    close: () => server.shutdown(),
  };
}

eachTransport(
  "createWebhooks posts connect, join, publication, leave and disconnect, signed and retried",
  async (transport) => {
    const backend = startBackend(1);
    const logs: LogEntry[] = [];
    const webhooks = createWebhooks(
      checkWebhookConfig({
        url: backend.url,
        secret: WEBHOOK_SECRET,
        events: ["connect", "disconnect", "join", "leave", "publication"],
        topics: ["chat:*"],
        maxDelayMs: 50,
        retryMinMs: 50,
      }),
      { log: (entry) => logs.push(entry) },
    );
    const test = await startTestHub(transport, { events: webhooks.events });
    webhooks.metrics = test.hub.metrics;
    try {
      const token = await test.token({
        sub: "alice",
        acl: { "chat:*": ["subscribe", "publish"], "other:*": ["subscribe", "publish"] },
      });
      const [socket, welcome] = await connectWelcomed(`${test.url}?token=${token}`, {
        protocols: ["realtime.v1"],
      });
      const connection = welcome.connectionId;
      assert.equal(
        (await socket.request({ type: "subscribe", id: 1, topic: "chat:a" })).type,
        "ack",
      );
      assert.equal(
        (await socket.request({ type: "subscribe", id: 2, topic: "other:b" })).type,
        "ack",
      );
      socket.send({ type: "publish", id: 3, topic: "chat:a", payload: { text: "hi" } });
      socket.send({ type: "publish", id: 4, topic: "other:b", payload: { text: "not posted" } });
      await socket.next((f) => f.id === 4 && f.type === "ack");
      await socket.close();
      await backend.until(
        () => backend.received.some((e) => e.type === "disconnect"),
        "the disconnect webhook",
      );
      const events = backend.received;
      assert.equal(new Set(events.map((e) => e.id)).size, events.length, "ids are unique");
      assert.deepEqual(
        events.map((e) => [e.type, e.topic ?? null]),
        [
          ["connect", null],
          ["join", "chat:a"],
          ["join", "other:b"],
          ["publication", "chat:a"],
          ["leave", "chat:a"],
          ["leave", "other:b"],
          ["disconnect", null],
        ],
      );
      for (const event of events) {
        assert.equal(event.user ?? event.from, "alice");
        if (event.type !== "publication") assert.equal(event.connection, connection);
      }
      assert.deepEqual(events.find((e) => e.type === "publication")?.payload, { text: "hi" });
      assert.equal(events.at(-1)?.code, 1000);
      assert.equal(backend.badSignatures, 0);
      const m = test.hub.metrics;
      // The backend has them before the hub reads its answer.
      await until(() => m.webhookEventsSent === events.length, 10_000, "the sent count");
      assert.equal(m.webhookRequestsFailed, 1);
      assert.equal(m.webhookRetries, 1);
      assert.equal(m.webhookQueueDepth, 0);
      const failed = logs.find((e) => e.event === "webhook.failed");
      assert.equal(failed?.status, 503);
      assert.ok(!JSON.stringify(logs).includes(backend.url), "the URL is never logged");
      assert.match(renderPrometheus(test.hub), /realtime_webhook_events_sent_total \d+/);
    } finally {
      await test.close();
      webhooks.close();
      await backend.close();
    }
  },
);

Deno.test("createWebhooks counts and logs what it drops while the backend is down, without payloads", async () => {
  const logs: LogEntry[] = [];
  const webhooks = createWebhooks(
    checkWebhookConfig({
      // Nothing listens on port 9 of the loopback: every request fails.
      url: "http://127.0.0.1:9/webhook",
      secret: WEBHOOK_SECRET,
      events: ["publication"],
      topics: ["chat:*"],
      maxBatch: 2,
      maxQueue: 3,
      retryMinMs: 60_000,
      retryMaxMs: 60_000,
    }),
    { log: (entry) => logs.push(entry) },
  );
  const test = await startTestHub("deno", { events: webhooks.events });
  webhooks.metrics = test.hub.metrics;
  try {
    for (let i = 0; i < 10; i++) await test.hub.publish("chat:a", { secret: `payload-${i}` });
    // Two in flight, three waiting: five dropped, at once.
    assert.equal(test.hub.metrics.webhookEventsDropped.get("full"), 5);
    assert.equal(webhooks.depth, 5);
    const dropped = logs.find((e) => e.event === "webhook.dropped");
    assert.equal(dropped?.reason, "full");
    assert.ok(!JSON.stringify(logs).includes("payload-"), "no payload is logged");
  } finally {
    await test.close();
    webhooks.close();
  }
  assert.equal(test.hub.metrics.webhookEventsDropped.get("shutdown"), 5);
});
