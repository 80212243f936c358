// Per-IP connection limits over real sockets: behind a trusted proxy a
// client cannot escape them by forging X-Forwarded-For, and an upgrade
// without connection info is visible rather than silently unlimited.

import assert from "node:assert/strict";
import { createHub } from "../../src/server/create_hub.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { renderPrometheus } from "../../src/metrics/prometheus.ts";
import { eachTransport, SECRET, startTestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";

const UPGRADE = {
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};
const BURST = 3;
const ATTEMPTS = 10;

// Without a token and without first-message auth, an upgrade that passes the
// per-IP limit is answered 401 and one that does not, 429: no socket is kept.
async function statuses(url: string, headers: (i: number) => Record<string, string>) {
  const seen: number[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    const res = await fetch(url, {
      headers: { ...UPGRADE, ...headers(i) },
      signal: AbortSignal.timeout(5000),
    });
    await res.body?.cancel();
    seen.push(res.status);
  }
  return seen;
}

const expected = [...Array(BURST).fill(401), ...Array(ATTEMPTS - BURST).fill(429)];

eachTransport(
  "trustProxy a forged prepended X-Forwarded-For does not escape the per-IP limit",
  async (t) => {
    await using h = await startTestHub(t, {
      clock: new ManualClock(),
      trustProxy: true,
      tokenSources: { firstMessage: false },
      limits: { connectRatePerIp: 1, connectBurstPerIp: BURST },
    });
    // The test is the loopback proxy: it appends the client's real address
    // to whatever the client sent, as nginx's $proxy_add_x_forwarded_for does.
    const seen = await statuses(h.url.replace("ws", "http"), (i) => ({
      "x-forwarded-for": `198.51.100.${i}, 203.0.113.7`,
    }));
    assert.deepEqual(seen, expected);
    assert.equal(h.hub.metrics.rateLimitHits.get("connect_rate"), ATTEMPTS - BURST);
    // Another client behind the same proxy has its own bucket.
    const other = await fetch(h.url.replace("ws", "http"), {
      headers: { ...UPGRADE, "x-forwarded-for": "203.0.113.8" },
    });
    await other.body?.cancel();
    assert.equal(other.status, 401);
  },
);

eachTransport(
  "trustProxy X-Forwarded-For from a peer outside the proxy addresses is ignored",
  async (t) => {
    await using h = await startTestHub(t, {
      clock: new ManualClock(),
      trustProxy: { hops: 1, addresses: ["10.0.0.0/8"] },
      tokenSources: { firstMessage: false },
      limits: { connectRatePerIp: 1, connectBurstPerIp: BURST },
    });
    const seen = await statuses(h.url.replace("ws", "http"), (i) => ({
      "x-forwarded-for": `198.51.100.${i}`,
    }));
    assert.deepEqual(seen, expected);
  },
);

Deno.test("hub.upgrade without connection info warns once and counts every such upgrade", async () => {
  const logs: LogEntry[] = [];
  const hub = createHub({
    auth: { secret: SECRET },
    clock: new ManualClock(),
    log: (e) => logs.push(e),
    tokenSources: { firstMessage: false },
    limits: { connectRatePerIp: 1, connectBurstPerIp: BURST },
  });
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  // The shape a user writes when they forget `info`.
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: (a) => resolve(a as Deno.NetAddr) },
    (req) => hub.upgrade(req),
  );
  try {
    const { port } = await listening;
    const seen = await statuses(`http://127.0.0.1:${port}/ws`, () => ({}));
    // Limits cannot apply without an address: what changed is that it shows.
    assert.deepEqual(seen, Array(ATTEMPTS).fill(401));
    assert.equal(hub.metrics.unknownClientIp, ATTEMPTS);
    const warnings = logs.filter((e) => e.event === "client_ip.unknown");
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].level, "warn");
    assert.match(String(warnings[0].message), /hub\.upgrade\(req, info\)/);
    assert.match(
      renderPrometheus(hub),
      new RegExp(`realtime_unknown_client_ip_total ${ATTEMPTS}\\b`),
    );
  } finally {
    await hub.close();
    await server.shutdown();
  }
});

eachTransport("the bundled transports always pass the peer address", async (t) => {
  await using h = await startTestHub(t, { tokenSources: { firstMessage: false } });
  const res = await fetch(h.url.replace("ws", "http"), { headers: UPGRADE });
  await res.body?.cancel();
  assert.equal(res.status, 401);
  assert.equal(h.hub.metrics.unknownClientIp, 0);
  assert.equal(h.logs.filter((e) => e.event === "client_ip.unknown").length, 0);
});

Deno.test("hub.handler in Hono as docs/server.md shows applies the per-IP limit", async () => {
  const { Hono } = await import("hono");
  const hub = createHub({
    auth: { secret: SECRET },
    clock: new ManualClock(),
    log: () => {},
    tokenSources: { firstMessage: false },
    limits: { connectRatePerIp: 1, connectBurstPerIp: BURST },
  });
  const app = new Hono<{ Bindings: Deno.ServeHandlerInfo }>();
  app.get("/ws", (c) => hub.handler(c.req.raw, c.env));
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: (a) => resolve(a as Deno.NetAddr) },
    app.fetch,
  );
  try {
    const { port } = await listening;
    assert.deepEqual(await statuses(`http://127.0.0.1:${port}/ws`, () => ({})), expected);
    assert.equal(hub.metrics.unknownClientIp, 0);
  } finally {
    await hub.close();
    await server.shutdown();
  }
});
