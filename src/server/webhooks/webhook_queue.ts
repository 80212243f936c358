/**
 * The webhooks' delivery core, with no I/O of its own: events are queued,
 * cut into batches bounded in size and in time, and handed to `deliver` one
 * batch at a time (so the backend sees them in order). A batch that fails
 * is tried again, the same batch with the same ids, after an exponential
 * backoff with jitter, for as long as the hub runs: delivery is at least
 * once, and the backend de-duplicates by event id. While the backend is
 * down, the queue is bounded: past `maxQueue` waiting events the oldest is
 * dropped and counted. Time comes from an injected clock.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../../hub/clock.ts";

/** One event as posted: the hub's event with its unique id. */
export type WebhookEvent = { readonly id: string; readonly type: string } & Record<string, unknown>;

/** One POST: a batch id (kept across its retries) and its events, oldest first. */
export interface WebhookBatch {
  /** Unique per batch; the same on every retry of it. */
  readonly id: string;
  /** The events, oldest first. */
  readonly events: readonly WebhookEvent[];
}

/** Why events were dropped. */
export type WebhookDropReason = "full" | "shutdown";

/** Bounds of retries: exponential from `minMs`, capped at `maxMs`. */
export interface WebhookBackoff {
  /** The first retry's delay, in ms (before jitter). */
  readonly minMs: number;
  /** The longest delay, in ms. */
  readonly maxMs: number;
}

/** Options of {@linkcode createWebhookQueue}. */
export interface WebhookQueueOptions {
  /** Time and timers. */
  clock: Clock;
  /** Posts one batch; resolves when the backend took it, rejects otherwise. Aborted on close. */
  deliver(batch: WebhookBatch, signal: AbortSignal): Promise<void>;
  /** Most events in one batch. */
  maxBatch: number;
  /** Longest an event waits for its batch to fill, in ms. */
  maxDelayMs: number;
  /** Most events waiting (the batch in flight aside); past it the oldest is dropped. */
  maxQueue: number;
  /** The retry schedule. */
  backoff: WebhookBackoff;
  /** A fresh unique id (events and batches). */
  newId(): string;
  /** A number in [0, 1) for the jitter. @default {Math.random} */
  random?: () => number;
  /** `count` events were delivered. */
  onSent?(count: number): void;
  /** Attempt number `attempt` (0 for the first) failed; it is tried again after `delayMs`. */
  onFailed?(attempt: number, delayMs: number, error: unknown): void;
  /** Retry number `attempt` (from 1) of a failed batch is being sent. */
  onRetry?(attempt: number): void;
  /** `count` events were dropped, and why; called with no payload. */
  onDrop?(count: number, reason: WebhookDropReason): void;
}

/** The queue. */
export interface WebhookQueue {
  /** Queues an event (given its id here); returns the id. */
  push(event: { readonly type: string } & Record<string, unknown>): string;
  /** Events waiting or in flight. */
  readonly depth: number;
  /** Stops: timers cleared, the batch in flight aborted; returns how many events were dropped. */
  close(): number;
  /**
   * Sends what is queued now, without waiting for its batch to fill, then
   * closes; at `timeoutMs` it closes anyway. Resolves with how many events
   * were dropped.
   */
  drain(timeoutMs: number): Promise<number>;
}

/**
 * The delay before retry number `attempt` (1 for the first): `minMs`
 * doubled per attempt, capped at `maxMs`, then "equal jitter" (half fixed,
 * half random) so that hubs which lost the same backend do not all come
 * back at once, yet never retry sooner than half the schedule.
 *
 * @param attempt The retry's number, from 1.
 * @param backoff The schedule.
 * @param random A number in [0, 1).
 * @returns The delay in ms.
 *
 * @example The schedule without jitter
 * ```ts
 * import { retryDelay } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * const backoff = { minMs: 500, maxMs: 30_000 };
 * assert.equal(retryDelay(1, backoff, 0.999999), 500);
 * assert.equal(retryDelay(3, backoff, 0), 1000);
 * assert.equal(retryDelay(20, backoff, 0), 15_000);
 * ```
 */
export function retryDelay(attempt: number, backoff: WebhookBackoff, random: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const full = Math.min(backoff.maxMs, backoff.minMs * 2 ** exponent);
  return Math.round(full / 2 + (full / 2) * random);
}

/**
 * Creates the delivery core.
 *
 * @param options Clock, delivery, bounds, ids and observers.
 * @returns The queue.
 *
 * @example Batch two events
 * ```ts
 * import { createWebhookQueue, type WebhookBatch } from "@realtime/hub/server";
 * import { ManualClock } from "@realtime/hub/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const batches: WebhookBatch[] = [];
 * let n = 0;
 * const queue = createWebhookQueue({
 *   clock,
 *   deliver: (batch) => (batches.push(batch), Promise.resolve()),
 *   maxBatch: 10,
 *   maxDelayMs: 1000,
 *   maxQueue: 100,
 *   backoff: { minMs: 500, maxMs: 30_000 },
 *   newId: () => `id-${++n}`,
 * });
 * queue.push({ type: "connect" });
 * queue.push({ type: "disconnect" });
 * clock.advance(1000);
 * assert.equal(batches[0].events.length, 2);
 * queue.close();
 * ```
 */
export function createWebhookQueue(options: WebhookQueueOptions): WebhookQueue {
  const { clock, maxBatch, maxDelayMs, maxQueue, backoff } = options;
  const random = options.random ?? Math.random;
  let pending: WebhookEvent[] = [];
  let inFlight: WebhookBatch | undefined;
  let timer: TimerHandle | undefined;
  let closed = false;
  const stop = new AbortController();
  /** Set while draining: called when the queue emptied. */
  let drained: (() => void) | undefined;

  function schedule(): void {
    if (closed || inFlight !== undefined || pending.length === 0) return;
    if (pending.length >= maxBatch) return flush();
    timer ??= clock.setTimer(flush, maxDelayMs);
  }

  function flush(): void {
    if (timer !== undefined) clock.clearTimer(timer);
    timer = undefined;
    if (closed || inFlight !== undefined || pending.length === 0) return;
    const events = pending.slice(0, maxBatch);
    pending = pending.slice(events.length);
    attempt({ id: options.newId(), events }, 0);
  }

  function attempt(batch: WebhookBatch, failures: number): void {
    inFlight = batch;
    let delivery: Promise<void>;
    try {
      delivery = options.deliver(batch, stop.signal);
    } catch (error) {
      delivery = Promise.reject(error);
    }
    delivery.then(() => {
      if (closed) return;
      inFlight = undefined;
      options.onSent?.(batch.events.length);
      // What waited behind this batch has waited long enough: no timer.
      if (pending.length > 0) flush();
      else drained?.();
    }, (error: unknown) => {
      if (closed) return;
      const retry = failures + 1;
      const delay = retryDelay(retry, backoff, random());
      options.onFailed?.(failures, delay, error);
      timer = clock.setTimer(() => {
        timer = undefined;
        if (closed) return;
        options.onRetry?.(retry);
        attempt(batch, retry);
      }, delay);
    });
  }

  const queue: WebhookQueue = {
    push(event) {
      const id = options.newId();
      if (closed) {
        options.onDrop?.(1, "shutdown");
        return id;
      }
      pending.push({ ...event, id });
      if (pending.length > maxQueue) {
        const over = pending.length - maxQueue;
        pending = pending.slice(over);
        options.onDrop?.(over, "full");
      }
      schedule();
      return id;
    },
    get depth() {
      return pending.length + (inFlight?.events.length ?? 0);
    },
    drain(timeoutMs) {
      if (closed) return Promise.resolve(0);
      return new Promise((resolve) => {
        const deadline = clock.setTimer(() => resolve(queue.close()), timeoutMs);
        drained = () => {
          clock.clearTimer(deadline);
          resolve(queue.close());
        };
        if (pending.length === 0 && inFlight === undefined) return drained();
        if (inFlight === undefined) flush();
      });
    },
    close() {
      if (closed) return 0;
      closed = true;
      if (timer !== undefined) clock.clearTimer(timer);
      timer = undefined;
      stop.abort();
      const dropped = pending.length + (inFlight?.events.length ?? 0);
      pending = [];
      inFlight = undefined;
      if (dropped > 0) options.onDrop?.(dropped, "shutdown");
      return dropped;
    },
  };
  return queue;
}
