// Two hub processes (src/server/main.ts) on one real redis-server behind
// Debian's nginx, configured exactly as docs/deploy.md ("Behind nginx")
// documents: the test reads the nginx site and the hub config from that file
// and replaces only addresses and ports. Clients connect through nginx over
// real sockets; distinct client addresses are real too (127.0.0.2,
// 127.0.0.3... as the socket's local address). Every wait is on a frame, an
// event, an exit or a bounded poll, except the one pause that lets nginx's
// own timeout pass.

import assert from "node:assert/strict";
// @ts-types="../_support/ws.d.ts"
import WebSocketClient from "ws";
import { mintToken } from "../../src/auth/mint.ts";
import { RealtimeClient, type SubscribedInfo } from "../../src/client/mod.ts";
import { connectWelcomed, type Frame, withTimeout } from "../_support/client.ts";
import {
  CLUSTER_SECRET,
  type HubProcess,
  startHubCluster,
  startHubProcess,
} from "../_support/hub_cluster.ts";
import { startNginx } from "../_support/nginx.ts";
import { startRedisServer } from "../_support/redis_server.ts";

const DOC = new URL("../../docs/deploy.md", import.meta.url);
const ADMIN_KEY = "nginx-test-admin-key-0123456789";
const ACL = { "chat:*": ["subscribe", "publish", "history"] };
const HISTORY = [{ pattern: "chat:*", size: 1000, ttlMs: 60_000 }];

/** The fenced block of `lang` in the "Behind nginx" section of docs/deploy.md. */
async function documented(lang: "nginx" | "json"): Promise<string> {
  const text = await Deno.readTextFile(DOC);
  const start = text.indexOf("## Behind nginx");
  assert.ok(start >= 0, "docs/deploy.md has a 'Behind nginx' section");
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const match = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section);
  assert.ok(match, `the section has a ${lang} block`);
  return match[1];
}

/** Replaces `from` by `to` in `text`, failing when the documentation no longer has it. */
function swap(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `docs/deploy.md still says '${from}'`);
  return text.replaceAll(from, to);
}

/**
 * The documented site, listening on `port` in front of `hubs` (one hub takes
 * both upstream lines), with the timeouts scaled down when asked.
 */
async function site(
  hubs: readonly HubProcess[],
  timeouts?: string,
): Promise<(port: number) => string> {
  let text = await documented("nginx");
  if (timeouts !== undefined) {
    text = swap(text, "proxy_read_timeout 75s;", `proxy_read_timeout ${timeouts};`);
    text = swap(text, "proxy_send_timeout 75s;", `proxy_send_timeout ${timeouts};`);
  }
  return (port) => {
    let out = swap(text, "listen 80;", `listen 127.0.0.1:${port};`);
    out = swap(out, "server 10.0.0.11:8000", `server 127.0.0.1:${hubs[0].port}`);
    return swap(out, "server 10.0.0.12:8000", `server 127.0.0.1:${hubs.at(-1)!.port}`);
  };
}

/** The documented hub config, nginx being on 127.0.0.1, plus what the test needs. */
async function hubConfig(limits: Record<string, number> = {}): Promise<Record<string, unknown>> {
  const config = JSON.parse(swap(await documented("json"), '"10.0.0.5"', '"127.0.0.1"'));
  assert.deepEqual(config.trustProxy, { hops: 1, addresses: ["127.0.0.1"] });
  // REALTIME_REDIS_URL replaces the documented URLs and keeps the rest.
  config.engine.redis.history = HISTORY;
  return { ...config, limits };
}

async function token(sub: string): Promise<string> {
  return await mintToken({ sub, acl: ACL }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
}

/** The connections a hub holds, as its admin API lists them. */
async function connectionsOf(hub: HubProcess): Promise<{ user: string; remoteAddr: string }[]> {
  const res = await fetch(`${hub.http}/v1/realtime/connections?limit=500`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()).connections;
}

/**
 * Opens a WebSocket through `url` from the local address `from`, sending
 * `forwardedFor` as the client's own X-Forwarded-For. Resolves with the
 * socket once welcomed, or with the HTTP status that refused it.
 */
function openFrom(
  url: string,
  from: string,
  jwt: string,
  forwardedFor?: string,
): Promise<{ ws?: WebSocketClient; status?: number }> {
  const headers: Record<string, string> = forwardedFor === undefined
    ? {}
    : { "x-forwarded-for": forwardedFor };
  const ws = new WebSocketClient(
    url,
    ["realtime.v1", "auth", jwt],
    { headers, localAddress: from } as never,
  );
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.on("message", (data) => {
        const frame = JSON.parse(String(data));
        if (frame.type === "welcome") resolve({ ws });
      });
      ws.on("unexpected-response", (_req, res) => resolve({ status: res.statusCode }));
      ws.on("error", reject);
    }),
    10_000,
    `a connection from ${from}`,
  );
}

function closeAll(sockets: (WebSocketClient | undefined)[]): Promise<unknown> {
  return Promise.all(sockets.map((ws) => {
    if (ws === undefined || ws.readyState !== WebSocketClient.OPEN) return undefined;
    const closed = new Promise((resolve) => ws.on("close", resolve));
    ws.close(1000);
    return withTimeout(closed, 5000, "close");
  }));
}

Deno.test({
  name:
    "hubs behind nginx: each connection is accounted to the address nginx saw, never to one the client wrote",
  async fn() {
    await using redis = await startRedisServer();
    // Two connections per address per hub, refilled at 1 a second: a burst of ten runs out.
    const config = await hubConfig({ connectBurstPerIp: 2, connectRatePerIp: 1 });
    await using hubs = await startHubCluster(2, {
      redisUrl: redis.url,
      config,
      env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    });
    await using nginx = await startNginx(await site(hubs.hubs));
    const jwt = await token("carol");

    // Ten at once from 127.0.0.2, each claiming another address of its own.
    const burst = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) => openFrom(nginx.url, "127.0.0.2", jwt, `203.0.113.${i}, 127.0.0.9`),
      ),
    );
    const accepted = burst.filter((r) => r.ws !== undefined);
    const refused = burst.filter((r) => r.status !== undefined);
    assert.ok(accepted.length >= 2, `some got through: ${accepted.length}`);
    assert.ok(refused.length >= 2, `the address ran out: ${refused.length} refused`);
    assert.deepEqual([...new Set(refused.map((r) => r.status))], [429]);
    // Both hubs keyed the accepted ones, and the refusals, on 127.0.0.2.
    const listed = (await Promise.all(hubs.hubs.map(connectionsOf))).flat();
    assert.equal(listed.length, accepted.length);
    assert.deepEqual([...new Set(listed.map((c) => c.remoteAddr))], ["127.0.0.2"]);
    const refusals = hubs.hubs.flatMap((hub) =>
      hub.stderr().split("\n").filter((line) => line.includes('"limit":"connect_rate"'))
    );
    assert.equal(refusals.length, refused.length);
    for (const line of refusals) assert.equal(JSON.parse(line).ip, "127.0.0.2");

    // Another address has its own allowance: the hubs did not key on nginx's own address.
    const other = await openFrom(nginx.url, "127.0.0.3", jwt, "127.0.0.2");
    assert.ok(other.ws, `127.0.0.3 got through (HTTP ${other.status})`);
    const all = (await Promise.all(hubs.hubs.map(connectionsOf))).flat();
    assert.equal(all.filter((c) => c.remoteAddr === "127.0.0.3").length, 1);

    // Straight to a hub's port, not through nginx: the header names nothing.
    const direct = await openFrom(hubs.hubs[0].url, "127.0.0.4", jwt, "127.0.0.5");
    assert.ok(direct.ws, `direct connection got through (HTTP ${direct.status})`);
    const onA = await connectionsOf(hubs.hubs[0]);
    assert.equal(onA.filter((c) => c.remoteAddr === "127.0.0.4").length, 1);
    assert.equal(onA.filter((c) => c.remoteAddr === "127.0.0.5").length, 0);

    await closeAll([...accepted.map((r) => r.ws), other.ws, direct.ws]);
  },
});

Deno.test({
  name:
    "hubs behind nginx: a hub killed with SIGKILL sends its clients to the other hub, where RealtimeClient recovers",
  async fn() {
    await using redis = await startRedisServer();
    const config = await hubConfig();
    await using hubs = await startHubCluster(2, {
      redisUrl: redis.url,
      config,
      env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    });
    await using nginx = await startNginx(await site(hubs.hubs));
    const topic = "chat:failover";

    await using rt = new RealtimeClient({
      url: nginx.url,
      token: await token("alice"),
      backoff: { baseMs: 50, maxMs: 500 },
    });
    const seen: number[] = [];
    const subscribed: SubscribedInfo[] = [];
    rt.on("subscribed", (info) => subscribed.push(info));
    const resubscribed = Promise.withResolvers<SubscribedInfo>();
    rt.on("subscribed", (info) => {
      if (info.resubscribed) resubscribed.resolve(info);
    });
    const received = Promise.withResolvers<void>();
    const subscription = rt.subscribe(topic, (message) => {
      seen.push(message.payload as number);
      if (seen.length === 20) received.resolve();
    });
    await withTimeout(subscription.ready, 10_000, "the first subscribe");

    // Which hub nginx gave the client to; the publisher sits on the other one.
    const holders = await Promise.all(hubs.hubs.map(connectionsOf));
    const index = holders.findIndex((list) => list.some((c) => c.user === "alice"));
    assert.ok(index >= 0, "alice is on one of the hubs");
    const doomed = hubs.hubs[index];
    const survivor = hubs.hubs[1 - index];
    const [publisher] = await connectWelcomed(survivor.url, {
      protocols: ["auth", await token("bob")],
    });
    const publish = async (n: number) => {
      const reply: Frame = await publisher.request({
        type: "publish",
        id: `p${n}`,
        topic,
        payload: n,
      });
      assert.equal(reply.type, "ack", JSON.stringify(reply));
    };
    for (let n = 1; n <= 10; n++) await publish(n);

    // The crash: while the client is away, ten more are published on the other hub.
    const killedAt = performance.now();
    await doomed.kill();
    for (let n = 11; n <= 20; n++) await publish(n);

    const info = await withTimeout(resubscribed.promise, 15_000, "the resubscribe through nginx");
    const tookMs = performance.now() - killedAt;
    await withTimeout(received.promise, 10_000, "every message");
    assert.equal(info.recovered, true, JSON.stringify(info));
    assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i + 1), "each once, in order");
    assert.ok(tookMs < 10_000, `back within ${tookMs.toFixed(0)} ms`);
    const now = await connectionsOf(survivor);
    assert.ok(now.some((c) => c.user === "alice"), "the client is on the surviving hub");

    await publisher.close();
  },
});

Deno.test({
  name:
    "hubs behind nginx: the hub's heartbeat keeps a quiet connection open past proxy_read_timeout; without it nginx cuts it",
  async fn() {
    // The documented rule scaled down: proxy timeouts of 2 s, a hub that pings
    // every 500 ms, and one that keeps the default 25 s.
    // One process each, on the in-memory engine: no Redis is involved.
    const alone = async (limits?: Record<string, number>) => {
      const { engine: _, ...config } = await hubConfig(limits);
      return await startHubProcess({ config });
    };
    await using pinging = await alone({ heartbeatMs: 500 });
    await using quiet = await alone();
    await using fast = await startNginx(await site([pinging], "2s"));
    await using slow = await startNginx(await site([quiet], "2s"));
    const [kept] = await connectWelcomed(fast.url, { protocols: ["auth", await token("erin")] });
    const [cut] = await connectWelcomed(slow.url, { protocols: ["auth", await token("finn")] });
    const openedAt = performance.now();
    const closed = await withTimeout(cut.closed, 10_000, "nginx closing the quiet connection");
    const quietMs = performance.now() - openedAt;
    // Not the hub closing (1000, 1001, 4xxx): the socket just ended.
    assert.ok(closed.code < 1000 || closed.code >= 1005 && closed.code < 4000, `${closed.code}`);
    assert.ok(quietMs >= 1500, `cut after ${quietMs.toFixed(0)} ms of silence`);
    // The other one was as quiet: keep it so until it has outlived the 2 s by
    // half as much again (nginx's own clock is what is under test, so this is
    // a pause, not a wait for something), then it still answers.
    await withTimeout(
      new Promise((resolve) => setTimeout(resolve, Math.max(0, 2500 - quietMs))),
      5000,
      "a pause",
    );
    const pong = await kept.request({ type: "ping", id: "still-there" });
    assert.equal(pong.type, "pong");
    await kept.close();
  },
});
