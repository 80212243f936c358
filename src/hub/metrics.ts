/**
 * The hub's counters and histograms: plain numbers updated on the hot path,
 * read by the Prometheus exposition and `hub.stats()`.
 *
 * @module
 */

/** Upper bounds (seconds) of the permission-check latency histogram. */
export const ACL_CHECK_BUCKETS: readonly number[] = [
  0.000001,
  0.000005,
  0.00001,
  0.00005,
  0.0001,
  0.0005,
  0.001,
  0.005,
  0.01,
  0.05,
];

/** Upper bounds (seconds) of the connection duration histogram. */
export const CONNECTION_DURATION_BUCKETS: readonly number[] = [
  1,
  5,
  30,
  60,
  300,
  900,
  3600,
  14400,
  86400,
];

/** A histogram: cumulative-ready bucket counts, sum and count. */
export interface Histogram {
  /** Bucket upper bounds, ascending. */
  readonly buckets: readonly number[];
  /** Observations per bucket (not cumulative); the last entry counts values above every bound. */
  readonly counts: number[];
  /** Sum of observed values. */
  sum: number;
  /** Number of observations. */
  count: number;
}

/**
 * Creates an empty histogram.
 *
 * @param buckets Upper bounds, ascending.
 * @returns The histogram.
 *
 * @example Observe a value
 * ```ts
 * import { createHistogram, observe } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const h = createHistogram([1, 5]);
 * observe(h, 3);
 * assert.deepEqual(h.counts, [0, 1, 0]);
 * ```
 */
export function createHistogram(buckets: readonly number[]): Histogram {
  return { buckets, counts: new Array(buckets.length + 1).fill(0), sum: 0, count: 0 };
}

/**
 * Records one value in a histogram.
 *
 * @param histogram The histogram.
 * @param value The observed value.
 *
 * @example Observe a value above every bound
 * ```ts
 * import { createHistogram, observe } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const h = createHistogram([1]);
 * observe(h, 2);
 * assert.deepEqual([h.counts, h.sum, h.count], [[0, 1], 2, 1]);
 * ```
 */
export function observe(histogram: Histogram, value: number): void {
  const { buckets, counts } = histogram;
  let i = 0;
  while (i < buckets.length && value > buckets[i]) i++;
  counts[i]++;
  histogram.sum += value;
  histogram.count++;
}

/** Counters keyed by a label value. */
export type LabeledCounter = Map<string, number>;

/**
 * Adds `n` to a labeled counter.
 *
 * @param counter The counter.
 * @param label The label value.
 * @param n How much to add.
 *
 * @example Count by label
 * ```ts
 * import { increment, type LabeledCounter } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * const counter: LabeledCounter = new Map();
 * increment(counter, "ping");
 * increment(counter, "ping", 2);
 * assert.equal(counter.get("ping"), 3);
 * ```
 */
export function increment(counter: LabeledCounter, label: string, n = 1): void {
  counter.set(label, (counter.get(label) ?? 0) + n);
}

/** Every metric the hub keeps. Read-only for consumers. */
export interface HubMetrics {
  /** Connections accepted (upgraded). */
  connectionsOpened: number;
  /**
   * Connections accepted, by transport: the WebSocket adapter's (`ws`,
   * `deno`), `sse` for event streams, `http` for HTTP publish requests,
   * `unknown` when an adapter did not say.
   */
  readonly connectionsByTransport: LabeledCounter;
  /** Connections closed, by close code (`"1000"`, `"4001"`, ...; `"abnormal"` without a code). */
  readonly connectionsClosed: LabeledCounter;
  /** Frames received, by type (`"invalid"` for frames that failed to parse). */
  readonly messagesIn: LabeledCounter;
  /** Frames sent, by type. */
  readonly messagesOut: LabeledCounter;
  /** Successful authentications, by source (`anonymous`: token-less connections let in by `anonymous: true`). */
  readonly authSuccesses: LabeledCounter;
  /** Failed authentications, by reason. */
  readonly authFailures: LabeledCounter;
  /** Permission denials, by action. */
  readonly aclDenials: LabeledCounter;
  /** Permission-check latency in seconds (uncached checks). */
  readonly aclCheckSeconds: Histogram;
  /** Lifetime of closed connections in seconds. */
  readonly connectionDurationSeconds: Histogram;
  /** Upgrade requests a transport adapter could not read and answered 400, by what was wrong (`target`, `handshake`, `http`). */
  readonly upgradesMalformed: LabeledCounter;
  /** Connections dropped because they stopped reading. */
  slowConsumerDrops: number;
  /** WebSocket messages written; fewer than the frames sent when clients take batches. */
  socketWrites: number;
  /** Limit hits, by limit (`connect_rate`, `message_rate`, `subscriptions`, `queue`, `queue_bytes`, `connections_per_user`, `connections_total`). */
  readonly rateLimitHits: LabeledCounter;
  /** Upgrades (and accounts requests, when the accounts handler has the hub) whose client address was unknown (no connection info), so per-IP limits did not apply. */
  unknownClientIp: number;
  /** Calls of the application's handlers, by handler (`connect`, `subscribe`, `publish`, `rpc`, `disconnect`). */
  readonly handlerCalls: LabeledCounter;
  /** Handler calls that refused, failed or timed out, by handler. */
  readonly handlerErrors: LabeledCounter;
  /** Time of handler calls in seconds, waiting for a free slot included. */
  readonly handlerSeconds: Histogram;
  /** Webhook events the backend took (the server's webhooks, `docs/webhooks.md`). */
  webhookEventsSent: number;
  /** Webhook requests that failed (each is retried). */
  webhookRequestsFailed: number;
  /** Webhook requests that were retries of a failed one. */
  webhookRetries: number;
  /** Webhook events dropped, by reason (`full`: the queue was full; `shutdown`). */
  readonly webhookEventsDropped: LabeledCounter;
  /** Webhook events waiting or in flight now. */
  webhookQueueDepth: number;
}

/**
 * Creates zeroed metrics.
 *
 * @returns The metrics.
 *
 * @example Create metrics
 * ```ts
 * import { createHubMetrics } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(createHubMetrics().connectionsOpened, 0);
 * ```
 */
export function createHubMetrics(): HubMetrics {
  return {
    connectionsOpened: 0,
    connectionsByTransport: new Map(),
    connectionsClosed: new Map(),
    messagesIn: new Map(),
    messagesOut: new Map(),
    authSuccesses: new Map(),
    authFailures: new Map(),
    aclDenials: new Map(),
    aclCheckSeconds: createHistogram(ACL_CHECK_BUCKETS),
    connectionDurationSeconds: createHistogram(CONNECTION_DURATION_BUCKETS),
    upgradesMalformed: new Map(),
    slowConsumerDrops: 0,
    socketWrites: 0,
    rateLimitHits: new Map(),
    unknownClientIp: 0,
    handlerCalls: new Map(),
    handlerErrors: new Map(),
    handlerSeconds: createHistogram(ACL_CHECK_BUCKETS),
    webhookEventsSent: 0,
    webhookRequestsFailed: 0,
    webhookRetries: 0,
    webhookEventsDropped: new Map(),
    webhookQueueDepth: 0,
  };
}
