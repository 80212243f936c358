/**
 * The server's event webhooks: the shell around the delivery core that
 * picks the configured events from the hub's, signs each batch and POSTs it
 * to the backend, counts what happens in the hub's metrics, and logs
 * failures and drops without payloads or the URL (`docs/webhooks.md`).
 *
 * @module
 */

import { type Clock, systemClock } from "../../hub/clock.ts";
import type { HubEvent, HubEventSink } from "../../hub/hub_events.ts";
import type { LogEntry } from "../../hub/log.ts";
import { increment } from "../../hub/metrics.ts";
import type { HubMetrics } from "../../hub/metrics.ts";
import { matchPattern } from "../../topic/pattern.ts";
import type { ResolvedWebhookConfig } from "./webhook_config.ts";
import { createWebhookQueue, type WebhookBatch, type WebhookDropReason } from "./webhook_queue.ts";
import { signWebhook } from "./webhook_signature.ts";

/** How often, at most, drops are logged (with the count since the last line), in ms. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** Options of {@linkcode createWebhooks}. */
export interface WebhooksOptions {
  /** Log sink for failures and drops. */
  log?: (entry: LogEntry) => void;
  /** Time and timers. @default {systemClock} */
  clock?: Clock;
  /** The `fetch` to post with. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** A fresh unique id. @default {crypto.randomUUID} */
  newId?: () => string;
}

/** Running webhooks. */
export interface Webhooks {
  /** Give this to the hub as its `events` option. */
  readonly events: HubEventSink;
  /** Where to count (the hub's metrics, once the hub exists). */
  metrics: HubMetrics | undefined;
  /** Events waiting or in flight. */
  readonly depth: number;
  /** Stops posting; what was still queued is dropped, counted and logged. */
  close(): void;
  /** Posts what is queued (for at most `timeoutMs`), then closes. */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * Starts the webhooks of a checked `webhooks` section.
 *
 * @param config The section, with its defaults (see `checkWebhookConfig`).
 * @param options Log, clock, fetch, ids.
 * @returns The webhooks: give `events` to `createHub`, then set `metrics`.
 *
 * @example Post a hub's events
 * ```ts ignore
 * const webhooks = createWebhooks(checkWebhookConfig(config.webhooks), { log });
 * const hub = createHub({ auth, events: webhooks.events });
 * webhooks.metrics = hub.metrics;
 * ```
 */
export function createWebhooks(
  config: ResolvedWebhookConfig,
  options: WebhooksOptions = {},
): Webhooks {
  const clock = options.clock ?? systemClock;
  const doFetch = options.fetch ?? globalThis.fetch;
  const log = options.log ?? (() => {});
  const wanted = new Set<string>(config.events);
  const topics = config.topics;
  let dropsUnlogged = new Map<WebhookDropReason, number>();
  let dropLogAt = -Infinity;

  async function deliver(batch: WebhookBatch, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify({ events: batch.events });
    const signed = await signWebhook(
      config.secret,
      batch.id,
      Math.floor(clock.now() / 1000),
      body,
    );
    const res = await doFetch(config.url, {
      method: "POST",
      headers: { ...signed, "content-type": "application/json" },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]),
      redirect: "manual",
    });
    await res.body?.cancel();
    if (res.status < 200 || res.status > 299) {
      throw new Error(`The webhook backend answered HTTP ${res.status}`);
    }
  }

  function depthChanged(): void {
    if (webhooks.metrics !== undefined) webhooks.metrics.webhookQueueDepth = queue.depth;
  }

  function logDrops(): void {
    const now = clock.now();
    if (now - dropLogAt < DROP_LOG_INTERVAL_MS) return;
    dropLogAt = now;
    for (const [reason, count] of dropsUnlogged) {
      log({
        level: "warn",
        event: "webhook.dropped",
        reason,
        count,
        message: reason === "full"
          ? `Dropped ${count} webhook events: the queue is full while the backend does not take them`
          : `Dropped ${count} webhook events still queued at shutdown`,
      });
    }
    dropsUnlogged = new Map();
  }

  const queue = createWebhookQueue({
    clock,
    deliver,
    maxBatch: config.maxBatch,
    maxDelayMs: config.maxDelayMs,
    maxQueue: config.maxQueue,
    backoff: { minMs: config.retryMinMs, maxMs: config.retryMaxMs },
    newId: options.newId ?? (() => crypto.randomUUID()),
    onSent(count) {
      if (webhooks.metrics !== undefined) webhooks.metrics.webhookEventsSent += count;
      depthChanged();
    },
    onFailed(attempt, delayMs, error) {
      if (webhooks.metrics !== undefined) webhooks.metrics.webhookRequestsFailed++;
      // The error's name and status only: its message may quote the URL.
      const status = error instanceof Error ? /HTTP (\d{3})$/.exec(error.message)?.[1] : undefined;
      log({
        level: "warn",
        event: "webhook.failed",
        attempt,
        retryInMs: delayMs,
        status: status === undefined ? undefined : Number(status),
        error: status === undefined && error instanceof Error ? error.name : undefined,
      });
    },
    onRetry() {
      if (webhooks.metrics !== undefined) webhooks.metrics.webhookRetries++;
    },
    onDrop(count, reason) {
      if (webhooks.metrics !== undefined) {
        increment(webhooks.metrics.webhookEventsDropped, reason, count);
      }
      dropsUnlogged.set(reason, (dropsUnlogged.get(reason) ?? 0) + count);
      if (reason === "shutdown") dropLogAt = -Infinity;
      logDrops();
      depthChanged();
    },
  });

  function events(event: HubEvent): void {
    if (!wanted.has(event.type)) return;
    if (event.type === "publication") {
      if (!topics.some((pattern) => matchPattern(pattern, event.topic))) return;
      const { data, ...rest } = event;
      queue.push({ ...rest, payload: JSON.parse(data) });
    } else {
      queue.push({ ...event });
    }
    depthChanged();
  }

  const webhooks: Webhooks = {
    events,
    metrics: undefined,
    get depth() {
      return queue.depth;
    },
    close() {
      queue.close();
      depthChanged();
    },
    async drain(timeoutMs) {
      await queue.drain(timeoutMs);
      depthChanged();
    },
  };
  return webhooks;
}
