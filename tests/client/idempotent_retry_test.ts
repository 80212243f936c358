// A publish is safe to retry: a real RealtimeClient publishes through a TCP
// proxy on 127.0.0.1 to a real hub process; the proxy stops the hub's bytes
// the moment the publish goes up (so its ack never arrives) and, once the
// hub has published it, cuts the connection. The client reconnects through
// the proxy and sends the publish again with the same idempotency key; the
// hub answers with the first position. On the in-memory engine and on the
// Redis engine (a real redis-server): one delivery and one history entry,
// and one delivery on a topic without history.
// Every wait is on an event with a deadline.

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import { RealtimeClient, type RealtimeMessage } from "../../src/client/mod.ts";
import { CLUSTER_SECRET, type HubProcess, startHubProcess } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { startTcpProxy } from "../_support/tcp_proxy.ts";
import { next } from "./_helpers.ts";

const ACL = { "chat:*": ["subscribe", "publish", "history"], "plain:*": ["subscribe", "publish"] };
const HISTORY = [{ pattern: "chat:*", size: 100, ttlMs: 300_000 }];
/** Deadline of each wait: generous, for a loaded machine. */
const WAIT_MS = 30_000;

function token(sub: string): Promise<string> {
  return mintToken({ sub, acl: ACL }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
}

/** Records a subscription's messages and lets a test wait for a count. */
function recorder() {
  const messages: RealtimeMessage[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    messages,
    onMessage(message: RealtimeMessage) {
      messages.push(message);
      for (const w of waiters.filter((w) => messages.length >= w.count)) w.resolve();
    },
    /** Resolves once `count` messages arrived; rejects after the deadline. */
    async until(count: number): Promise<void> {
      if (messages.length >= count) return;
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      const timer = setTimeout(
        () => reject(new Error(`Timed out waiting for ${count} messages: got ${messages.length}`)),
        WAIT_MS,
      );
      waiters.push({ count, resolve });
      try {
        await promise;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** `chat:retry` keeps history; `plain:retry` keeps none. */
async function retriedOnce(hub: HubProcess, topic = "chat:retry"): Promise<void> {
  await using proxy = startTcpProxy({ hostname: "127.0.0.1", port: hub.port });
  const seen = recorder();
  const { messages } = seen;
  await using watcher = new RealtimeClient({ url: hub.url, token: await token("carol") });
  await watcher.subscribe(topic, seen.onMessage).ready;
  await using publisher = new RealtimeClient({
    url: `ws://127.0.0.1:${proxy.port}/ws`,
    token: await token("alice"),
    backoff: { baseMs: 50, maxMs: 500 },
  });
  await publisher.opened();

  const trapped = proxy.dropAnswersAfter((text) => text.includes('"type":"publish"'));
  const reconnecting = next(publisher, "state", (s) => s === "reconnecting", WAIT_MS);
  const published = publisher.publish(topic, "once", { timeoutMs: WAIT_MS });
  const sent = await trapped;
  // The hub has published it (the watcher got it) and its ack is held back: cut now.
  await seen.until(1);
  proxy.cutAll();
  await reconnecting;
  await published;

  // A later publication marks the end: nothing arrives twice before it.
  await publisher.publish(topic, "marker", { timeoutMs: WAIT_MS });
  await seen.until(2);
  assert.deepEqual(messages.map((m) => m.payload), ["once", "marker"]);
  if (topic.startsWith("chat:")) {
    const history = await watcher.history(topic, { timeoutMs: WAIT_MS });
    assert.deepEqual(history.publications.map((p) => p.payload), ["once", "marker"]);
  }

  // The hub saw the publish twice, on two connections, with one key.
  const key = JSON.parse(sent.text).idempotencyKey;
  assert.equal(typeof key, "string");
  const repeats = proxy.seen.filter((m) => m.text.includes(`"idempotencyKey":"${key}"`));
  assert.equal(repeats.length, 2, "sent, then sent again after the cut");
  assert.notEqual(repeats[0].connection, repeats[1].connection);
}

Deno.test("RealtimeClient retries a publish cut before its ack, published once (in-memory hub process)", async () => {
  await using hub = await startHubProcess({ config: { history: HISTORY } });
  await retriedOnce(hub);
  await retriedOnce(hub, "plain:retry");
});

Deno.test("RealtimeClient retries a publish cut before its ack, published once (Redis hub process)", async () => {
  await using redis = await startRedisServer();
  await using hub = await startHubProcess({
    redisUrl: redis.url,
    config: { engine: { redis: { history: HISTORY } } },
  });
  await retriedOnce(hub);
  await retriedOnce(hub, "plain:retry");
});
