/**
 * The hub's metrics in the Prometheus text exposition format 0.0.4.
 *
 * Written by hand rather than with `prom-client`: that package loads
 * `cluster`, `v8`, `fs`, `http` and `zlib` from its entry point and keeps a
 * global registry, while the hub already counts everything itself and only
 * needs to be printed.
 *
 * @module
 */

import type { Hub } from "../hub/hub.ts";
import { ExpositionWriter } from "./_exposition.ts";

/**
 * The `content-type` of a Prometheus text exposition (format 0.0.4).
 *
 * @example Answer a scrape from your own route
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "@realtime/hub/admin";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * const res = new Response(renderPrometheus(hub), {
 *   headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
 * });
 * await res.body?.cancel();
 * await hub.close();
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * What {@linkcode renderPrometheus} reads from a hub: its counters and a
 * stats snapshot. Any {@linkcode Hub} is one.
 *
 * @example Pass a hub as a metrics source
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { type MetricsSource } from "@realtime/hub/admin";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * const source: MetricsSource = hub;
 * source.stats();
 * await hub.close();
 * ```
 */
export type MetricsSource = Pick<Hub, "metrics" | "stats">;

/**
 * Renders a hub's metrics in the Prometheus text exposition format 0.0.4:
 * gauges for connections, users, subscriptions and topics; counters (with
 * the `_total` suffix) for connections opened and closed, frames in and out,
 * authentication successes and failures, permission denials, slow-consumer
 * drops and limit hits; histograms for permission-check latency and
 * connection lifetime. Label values are sorted so the output is stable.
 *
 * @param hub The hub (anything with its `metrics` and `stats()`).
 * @returns The exposition text, one sample per line, ending with a line feed.
 *
 * @example Render the metrics of a fresh hub
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { renderPrometheus } from "@realtime/hub/admin";
 * import assert from "node:assert/strict";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * const text = renderPrometheus(hub);
 * assert.match(text, /^realtime_connections 0$/m);
 * assert.match(text, /^realtime_acl_check_seconds_bucket\{le="\+Inf"\} 0$/m);
 * await hub.close();
 * ```
 */
export function renderPrometheus(hub: MetricsSource): string {
  const stats = hub.stats();
  const m = hub.metrics;
  const out = new ExpositionWriter();
  out.single("realtime_connections", "gauge", "Open connections.", stats.connections);
  out.single("realtime_users", "gauge", "Distinct authenticated users.", stats.users);
  out.single("realtime_subscriptions", "gauge", "Subscriptions in all.", stats.subscriptions);
  out.single(
    "realtime_topics",
    "gauge",
    "Distinct topics and patterns with subscribers.",
    stats.topics,
  );
  out.single(
    "realtime_connections_opened_total",
    "counter",
    "Connections accepted.",
    m.connectionsOpened,
  );
  out.labeled(
    "realtime_connections_by_transport_total",
    "Connections accepted, by transport (ws, deno, sse, http).",
    "transport",
    m.connectionsByTransport,
  );
  out.labeled(
    "realtime_connections_closed_total",
    "Connections closed, by close code.",
    "code",
    m.connectionsClosed,
  );
  out.labeled(
    "realtime_messages_in_total",
    "Frames received, by type.",
    "type",
    m.messagesIn,
  );
  out.labeled("realtime_messages_out_total", "Frames sent, by type.", "type", m.messagesOut);
  out.labeled(
    "realtime_auth_successes_total",
    "Successful authentications, by token source.",
    "source",
    m.authSuccesses,
  );
  out.labeled(
    "realtime_auth_failures_total",
    "Failed authentications, by reason.",
    "reason",
    m.authFailures,
  );
  out.labeled(
    "realtime_acl_denials_total",
    "Permission denials, by action.",
    "action",
    m.aclDenials,
  );
  out.histogram(
    "realtime_acl_check_seconds",
    "Latency of uncached permission checks in seconds.",
    m.aclCheckSeconds,
  );
  out.histogram(
    "realtime_connection_duration_seconds",
    "Lifetime of closed connections in seconds.",
    m.connectionDurationSeconds,
  );
  out.labeled(
    "realtime_upgrades_malformed_total",
    "Upgrade requests answered 400 because they could not be read, by what was wrong.",
    "reason",
    m.upgradesMalformed,
  );
  out.single(
    "realtime_slow_consumer_drops_total",
    "counter",
    "Connections dropped because they stopped reading.",
    m.slowConsumerDrops,
  );
  out.single(
    "realtime_socket_writes_total",
    "counter",
    "WebSocket messages written; below the frames sent when clients take batches.",
    m.socketWrites,
  );
  out.labeled(
    "realtime_rate_limit_hits_total",
    "Limit hits, by limit.",
    "limit",
    m.rateLimitHits,
  );
  out.single(
    "realtime_unknown_client_ip_total",
    "counter",
    "Upgrades and accounts requests without the peer address (no connection info passed), so per-IP limits did not apply.",
    m.unknownClientIp,
  );
  out.labeled(
    "realtime_handler_calls_total",
    "Calls of the application's handlers, by handler.",
    "handler",
    m.handlerCalls,
  );
  out.labeled(
    "realtime_handler_errors_total",
    "Handler calls that refused, failed or timed out, by handler.",
    "handler",
    m.handlerErrors,
  );
  out.histogram(
    "realtime_handler_seconds",
    "Time of handler calls in seconds, waiting for a free slot included.",
    m.handlerSeconds,
  );
  out.single(
    "realtime_webhook_events_sent_total",
    "counter",
    "Webhook events the backend took.",
    m.webhookEventsSent,
  );
  out.single(
    "realtime_webhook_requests_failed_total",
    "counter",
    "Webhook requests that failed (each is retried).",
    m.webhookRequestsFailed,
  );
  out.single(
    "realtime_webhook_retries_total",
    "counter",
    "Webhook requests that retried a failed one.",
    m.webhookRetries,
  );
  out.labeled(
    "realtime_webhook_events_dropped_total",
    "Webhook events dropped, by reason (full, shutdown).",
    "reason",
    m.webhookEventsDropped,
  );
  out.single(
    "realtime_webhook_queue_depth",
    "gauge",
    "Webhook events waiting or in flight.",
    m.webhookQueueDepth,
  );
  return out.toString();
}
