// The server's event webhooks against the real FastAPI example
// (examples/fastapi, POST /realtime/webhook) under uvicorn, with a real hub
// process, on both transports: connect, join, leave and disconnect are
// recorded exactly once each, also when uvicorn is SIGKILLed while events
// are pending and started again on the same port; the example's
// de-duplication by event id survives its restart (ids kept in SQLite).

import assert from "node:assert/strict";
import { connectWelcomed } from "../_support/client.ts";
import { CLUSTER_SECRET, type HubProcess, startHubProcess } from "../_support/hub_cluster.ts";
import { type FastApiBackend, freePort, hasFastApi, startFastApi } from "../_support/fastapi.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { signWebhook } from "../../src/server/webhooks/webhook_signature.ts";

const PROXY_SECRET = "proxy-secret-of-at-least-32-bytes!!";
const WEBHOOK_SECRET = "webhook-secret-of-at-least-32-bytes!";
const ADMIN_KEY = "an-admin-key-of-24-chars";
const WAIT_MS = 20_000;

type Recorded = Record<string, unknown> & { id: string; type: string };

async function recorded(backend: FastApiBackend): Promise<Recorded[]> {
  const res = await fetch(`${backend.url}/webhook/events`, { signal: AbortSignal.timeout(2000) });
  assert.equal(res.status, 200);
  return (await res.json()).events;
}

/** Polls `check` every 50 ms until it holds, for at most WAIT_MS. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function metric(hub: HubProcess, name: string): Promise<number> {
  const res = await fetch(`${hub.http}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    signal: AbortSignal.timeout(2000),
  });
  const text = await res.text();
  return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
}

/** A user's session: connect, subscribe to `topics`, leave the first, close. Returns its connection id. */
async function session(hub: HubProcess, user: string, topics: string[]): Promise<string> {
  const token = await mintToken(
    { sub: user, acl: { "chat:*": ["subscribe"] } },
    { secret: CLUSTER_SECRET },
    { ttl: "1h" },
  );
  const [socket, welcome] = await connectWelcomed(`${hub.url}?token=${token}`, {
    protocols: ["realtime.v1"],
  });
  for (const [i, topic] of topics.entries()) {
    assert.equal((await socket.request({ type: "subscribe", id: `s${i}`, topic })).type, "ack");
  }
  const first = { type: "unsubscribe", id: "u", topic: topics[0] };
  assert.equal((await socket.request(first)).type, "ack");
  await socket.close();
  return welcome.connectionId;
}

/** Every event a session of `topics` makes, as `type topic` keys. */
function expectedKeys(connection: string, topics: string[]): string[] {
  return [
    `${connection} connect -`,
    ...topics.flatMap((t) => [`${connection} join ${t}`, `${connection} leave ${t}`]),
    `${connection} disconnect -`,
  ];
}

function keyOf(event: Recorded): string {
  return `${event.connection} ${event.type} ${event.topic ?? "-"}`;
}

for (const transport of ["ws", "deno"] as const) {
  Deno.test({
    name:
      `webhooks reach the FastAPI example exactly once, also across its SIGKILL and restart (${transport})`,
    ignore: !hasFastApi(),
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "realtime-webhooks-" });
      const port = freePort();
      const env = { REALTIME_WEBHOOK_SECRET: WEBHOOK_SECRET, WEBHOOK_DB: `${dir}/webhooks.db` };
      let backend = await startFastApi(PROXY_SECRET, port, env);
      try {
        await using hub = await startHubProcess({
          transport,
          env: { REALTIME_ADMIN_KEY: ADMIN_KEY, REALTIME_WEBHOOK_SECRET: WEBHOOK_SECRET },
          config: {
            webhooks: {
              url: `${backend.url}/realtime/webhook`,
              maxDelayMs: 100,
              retryMinMs: 100,
              retryMaxMs: 400,
            },
          },
        });
        const topics = ["chat:a", "chat:b"];

        // The backend up: one session, all its events.
        const alice = await session(hub, "alice", topics);
        const aliceKeys = expectedKeys(alice, topics);
        await eventually(
          async () => (await recorded(backend)).some((e) => keyOf(e) === aliceKeys.at(-1)),
          "alice's disconnect",
        );

        // The backend killed: a session's events wait in the hub, which retries.
        await backend.kill();
        const failedBefore = await metric(hub, "realtime_webhook_requests_failed_total");
        const carol = await session(hub, "carol", topics);
        const carolKeys = expectedKeys(carol, topics);
        await eventually(
          async () =>
            await metric(hub, "realtime_webhook_requests_failed_total") > failedBefore &&
            await metric(hub, "realtime_webhook_queue_depth") > 0,
          "a failed request with events pending",
        );

        // Started again on the same port, with the same SQLite file.
        backend = await startFastApi(PROXY_SECRET, port, env);
        await eventually(
          async () => (await recorded(backend)).some((e) => keyOf(e) === carolKeys.at(-1)),
          "carol's disconnect after the restart",
        );
        await eventually(
          async () => await metric(hub, "realtime_webhook_queue_depth") === 0,
          "an empty queue",
        );

        const events = await recorded(backend);
        const keys = events.map(keyOf).sort();
        assert.deepEqual(keys, [...aliceKeys, ...carolKeys].sort(), "each event exactly once");
        assert.equal(new Set(events.map((e) => e.id)).size, events.length);
        assert.equal(events.find((e) => keyOf(e) === carolKeys[0])?.user, "carol");
        assert.equal(await metric(hub, "realtime_webhook_events_sent_total"), events.length);
        assert.ok(await metric(hub, "realtime_webhook_retries_total") >= 1);
        assert.equal(hub.stderr().includes(WEBHOOK_SECRET), false, "the secret is never logged");

        // A retry of what the backend took before its restart is recognised
        // (the ids are in SQLite), a new event is taken, a bad signature is not.
        const replay = { events: [events[0], { id: "new-1", type: "connect", at: 1 }] };
        const body = JSON.stringify(replay);
        const headers = await signWebhook(
          WEBHOOK_SECRET,
          "manual",
          Math.floor(Date.now() / 1000),
          body,
        );
        for (let i = 0; i < 2; i++) {
          const res = await fetch(`${backend.url}/realtime/webhook`, {
            method: "POST",
            headers: { ...headers, "content-type": "application/json" },
            body,
          });
          assert.equal(res.status, 204);
          await res.body?.cancel();
        }
        const forged = await fetch(`${backend.url}/realtime/webhook`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ events: [{ id: "forged", type: "connect", at: 1 }] }),
        });
        assert.equal(forged.status, 401);
        await forged.body?.cancel();
        const after = await recorded(backend);
        assert.equal(after.length, events.length + 1);
        assert.equal(after.at(-1)?.id, "new-1");
      } finally {
        await backend.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "webhooks: a hub stopped with SIGTERM still posts its last disconnects",
  ignore: !hasFastApi(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "realtime-webhooks-" });
    const env = { REALTIME_WEBHOOK_SECRET: WEBHOOK_SECRET, WEBHOOK_DB: `${dir}/webhooks.db` };
    const backend = await startFastApi(PROXY_SECRET, freePort(), env);
    try {
      const hub = await startHubProcess({
        env: { REALTIME_WEBHOOK_SECRET: WEBHOOK_SECRET },
        // Batches fill for a minute: only the drain at shutdown sends them in time.
        config: { webhooks: { url: `${backend.url}/realtime/webhook`, maxDelayMs: 60_000 } },
      });
      let connection: string;
      try {
        const token = await mintToken({ sub: "dave" }, { secret: CLUSTER_SECRET }, { ttl: "1h" });
        const [socket, welcome] = await connectWelcomed(`${hub.url}?token=${token}`, {
          protocols: ["realtime.v1"],
        });
        connection = welcome.connectionId;
        const status = await hub.stop();
        assert.equal(status.success, true, hub.stderr());
        assert.equal((await socket.closed).code, 1001);
      } finally {
        await hub.kill();
      }
      const events = await recorded(backend);
      assert.deepEqual(events.map(keyOf), [
        `${connection} connect -`,
        `${connection} disconnect -`,
      ]);
      assert.equal(events[1].code, 1001);
    } finally {
      await backend.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
