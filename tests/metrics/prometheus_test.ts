// The Prometheus exposition: its format (checked by a strict parser) and its
// values after real traffic over real sockets.

import assert from "node:assert/strict";
import { createAdminHandler } from "../../src/admin/handler.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { createHub } from "../../src/server/create_hub.ts";
import { increment, observe } from "../../src/hub/metrics.ts";
import { createMetricsHandler } from "../../src/metrics/handler.ts";
import { renderPrometheus } from "../../src/metrics/prometheus.ts";
import { connectWelcomed, TestSocket, withTimeout } from "../_support/client.ts";
import { SECRET, startTestHub } from "../_support/hub.ts";
import { ADMIN_KEY, adminToken, adminVerifier, call, serveHandler } from "../admin/_helpers.ts";
import { parseExposition, valueOf } from "./_parse.ts";

const FAMILIES: Record<string, string> = {
  realtime_connections: "gauge",
  realtime_users: "gauge",
  realtime_subscriptions: "gauge",
  realtime_topics: "gauge",
  realtime_connections_opened_total: "counter",
  realtime_connections_by_transport_total: "counter",
  realtime_handler_calls_total: "counter",
  realtime_handler_errors_total: "counter",
  realtime_handler_seconds: "histogram",
  realtime_connections_closed_total: "counter",
  realtime_messages_in_total: "counter",
  realtime_messages_out_total: "counter",
  realtime_auth_successes_total: "counter",
  realtime_auth_failures_total: "counter",
  realtime_acl_denials_total: "counter",
  realtime_acl_check_seconds: "histogram",
  realtime_connection_duration_seconds: "histogram",
  realtime_upgrades_malformed_total: "counter",
  realtime_slow_consumer_drops_total: "counter",
  realtime_socket_writes_total: "counter",
  realtime_rate_limit_hits_total: "counter",
  realtime_unknown_client_ip_total: "counter",
  realtime_webhook_events_sent_total: "counter",
  realtime_webhook_requests_failed_total: "counter",
  realtime_webhook_retries_total: "counter",
  realtime_webhook_events_dropped_total: "counter",
  realtime_webhook_queue_depth: "gauge",
};

const GOOD = `# HELP h_seconds A histogram.
# TYPE h_seconds histogram
h_seconds_bucket{le="1"} 1
h_seconds_bucket{le="+Inf"} 2
h_seconds_sum 3.5
h_seconds_count 2
`;

Deno.test("parseExposition accepts a valid exposition and rejects what the format forbids", () => {
  assert.equal(parseExposition(GOOD).get("h_seconds")?.samples.length, 4);
  const bad = [
    GOOD.slice(0, -1), // no final line feed
    GOOD.replace('h_seconds_bucket{le="1"} 1', 'h_seconds_bucket{le="1"} 3'), // not cumulative
    GOOD.replace("h_seconds_count 2", "h_seconds_count 5"), // +Inf != _count
    GOOD.replace('{le="+Inf"} 2\n', '{le="9"} 2\n'), // no +Inf
    GOOD.replace('le="1"', 'le="a\\q"'), // bad escape
    GOOD.replace('le="1"', 'le="2"').replace('le="+Inf"', 'le="1"'), // not ascending
    "# HELP x_total X.\nx_total 1\n# TYPE x_total counter\n", // TYPE after a sample
    "# HELP x X.\n# TYPE x counter\nx 1\n", // counter without _total
    '# HELP x X.\n# TYPE x gauge\nx{a="1",a="2"} 1\n', // repeated label
    "# HELP x X.\n# TYPE x gauge\nx one\n", // value not a float
    "x 1\n", // sample without family
  ];
  for (const text of bad) assert.throws(() => parseExposition(text), Error, text);
});

Deno.test("renderPrometheus writes every family with HELP and TYPE in format 0.0.4", async () => {
  const hub = createHub({ auth: { secret: SECRET }, log: () => {} });
  const families = parseExposition(renderPrometheus(hub));
  assert.deepEqual(
    Object.fromEntries([...families.values()].map((f) => [f.name, f.type])),
    FAMILIES,
  );
  for (const family of families.values()) assert.ok(family.help.length > 0, family.name);
  assert.equal(valueOf(families, "realtime_connections"), 0);
  assert.equal(valueOf(families, "realtime_acl_check_seconds_bucket", { le: "+Inf" }), 0);
  await hub.close();
});

Deno.test("renderPrometheus escapes label values and writes cumulative buckets", async () => {
  const hub = createHub({ auth: { secret: SECRET }, log: () => {} });
  const odd = 'quote " backslash \\ newline \n end';
  increment(hub.metrics.connectionsClosed, odd, 2);
  increment(hub.metrics.connectionsClosed, "1000", 1);
  for (const seconds of [0.5, 3, 3, 100, 1e6]) {
    observe(hub.metrics.connectionDurationSeconds, seconds);
  }
  const text = renderPrometheus(hub);
  assert.ok(text.includes('code="quote \\" backslash \\\\ newline \\n end"'));
  const families = parseExposition(text);
  assert.equal(valueOf(families, "realtime_connections_closed_total", { code: odd }), 2);
  const bucket = (le: string) =>
    valueOf(families, "realtime_connection_duration_seconds_bucket", { le });
  assert.deepEqual(
    ["1", "5", "60", "300", "86400", "+Inf"].map(bucket),
    [1, 3, 3, 4, 4, 5],
  );
  assert.equal(valueOf(families, "realtime_connection_duration_seconds_sum"), 1_000_106.5);
  assert.equal(valueOf(families, "realtime_connection_duration_seconds_count"), 5);
  await hub.close();
});

Deno.test("createMetricsHandler serves counters that match real traffic", async () => {
  await using h = await startTestHub("deno", {
    acl: { rules: [{ effect: "allow", actions: ["subscribe", "publish"], topics: ["chat:*"] }] },
  });
  await using served = serveHandler(createMetricsHandler(h.hub));
  const admin = createAdminHandler(h.hub, { apiKey: ADMIN_KEY, audit: () => {} });
  await using adminServed = serveHandler(admin);
  const scrape = async () => {
    const res = await fetch(served.base + "/metrics");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    return parseExposition(await res.text());
  };

  const [alice] = await connectWelcomed(h.url, {
    headers: { authorization: `Bearer ${await h.token({ sub: "alice" })}` },
  });
  assert.equal(
    (await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" })).type,
    "ack",
  );
  const denied = await alice.request({ type: "subscribe", id: 2, topic: "secret:plans" });
  assert.equal(denied.code, "FORBIDDEN");
  await alice.request({ type: "publish", id: 3, topic: "chat:lobby", payload: "hi" });
  await alice.next((m) => m.type === "message");
  const forged = await mintToken({ sub: "mallory" }, {
    secret: "another-secret-of-32-bytes-or-more!!",
  });
  const refused = new TestSocket(`${h.url}?token=${forged}`);
  await assert.rejects(refused.opened);

  let m = await scrape();
  const expected: [string, Record<string, string>, number][] = [
    ["realtime_connections", {}, 1],
    ["realtime_users", {}, 1],
    ["realtime_subscriptions", {}, 1],
    ["realtime_topics", {}, 1],
    ["realtime_connections_opened_total", {}, 1],
    ["realtime_messages_in_total", { type: "subscribe" }, 2],
    ["realtime_messages_in_total", { type: "publish" }, 1],
    ["realtime_messages_out_total", { type: "welcome" }, 1],
    ["realtime_messages_out_total", { type: "ack" }, 2],
    ["realtime_messages_out_total", { type: "error" }, 1],
    ["realtime_messages_out_total", { type: "message" }, 1],
    ["realtime_auth_successes_total", { source: "header" }, 1],
    ["realtime_auth_failures_total", { reason: "bad_signature" }, 1],
    ["realtime_acl_denials_total", { action: "subscribe" }, 1],
    ["realtime_acl_check_seconds_count", {}, 3],
    ["realtime_acl_check_seconds_bucket", { le: "+Inf" }, 3],
    ["realtime_connection_duration_seconds_count", {}, 0],
    ["realtime_slow_consumer_drops_total", {}, 0],
    // Not batched (no realtime.v1.batch offered): one write per frame sent.
    ["realtime_socket_writes_total", {}, 5],
  ];
  for (const [name, labels, value] of expected) {
    assert.equal(valueOf(m, name, labels), value, `${name}${JSON.stringify(labels)}`);
  }
  assert.equal(valueOf(m, "realtime_acl_denials_total", { action: "publish" }), undefined);
  assert.equal(m.get("realtime_connections_closed_total")?.samples.length, 0);

  // An operator disconnect closes alice with 4003; the hub records it at once.
  const res = await call(adminServed.base, "DELETE", "/v1/realtime/users/alice/connections");
  assert.equal(res.status, 200);
  assert.equal((await withTimeout(alice.closed, 3000, "close")).code, 4003);
  m = await scrape();
  assert.equal(valueOf(m, "realtime_connections"), 0);
  assert.equal(valueOf(m, "realtime_users"), 0);
  assert.equal(valueOf(m, "realtime_subscriptions"), 0);
  assert.equal(valueOf(m, "realtime_connections_closed_total", { code: "4003" }), 1);
  assert.equal(valueOf(m, "realtime_connection_duration_seconds_count"), 1);
});

Deno.test("createMetricsHandler checks the admin credential when configured", async () => {
  const hub = createHub({ auth: { secret: SECRET }, log: () => {} });
  const handler = createMetricsHandler(hub, {
    adminAuth: { apiKey: ADMIN_KEY, verifier: adminVerifier() },
  });
  await using served = serveHandler(handler);
  const get = (credential: string | null) => call(served.base, "GET", "/metrics", { credential });
  const missing = await get(null);
  assert.deepEqual([missing.status, missing.json.code], [401, "AUTH_FAILED"]);
  assert.equal(missing.headers.get("www-authenticate"), "Bearer");
  assert.equal((await get(ADMIN_KEY + "x")).status, 401);
  const member = await get(await adminToken({ sub: "m", roles: ["member"] }));
  assert.deepEqual([member.status, member.json.code], [403, "FORBIDDEN"]);
  const ok = await get(await adminToken({ sub: "a", roles: ["admin"] }));
  assert.equal(ok.status, 200);
  assert.match(ok.text, /^realtime_connections 0$/m);
  assert.equal((await get(ADMIN_KEY)).status, 200);
  await hub.close();
});

Deno.test("createMetricsHandler answers 404 off its path and 405 for other methods", async () => {
  const hub = createHub({ auth: { secret: SECRET }, log: () => {} });
  await using served = serveHandler(createMetricsHandler(hub, { path: "/internal/metrics" }));
  assert.equal((await call(served.base, "GET", "/metrics")).status, 404);
  const post = await call(served.base, "POST", "/internal/metrics", { body: {} });
  assert.deepEqual([post.status, post.headers.get("allow")], [405, "GET"]);
  assert.equal((await call(served.base, "GET", "/internal/metrics")).status, 200);
  assert.throws(() => createMetricsHandler(hub, { path: "metrics" }), TypeError);
  assert.throws(() => createMetricsHandler(hub, { adminAuth: { apiKey: "short" } }), RangeError);
  await hub.close();
});
