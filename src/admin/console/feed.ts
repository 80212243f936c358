/**
 * The operator console's live feed: one snapshot of the hub per interval,
 * taken only while someone watches, encoded once and shared by every viewer
 * as a `text/event-stream`.
 *
 * @module
 */

import type { Hub } from "../../hub/hub.ts";
import type { Clock, TimerHandle } from "../../hub/clock.ts";
import { systemClock } from "../../hub/clock.ts";
import type { ConnectionPage, TopicPage } from "../../hub/inspect.ts";
import { type HistoryPoint, nextPoint, type Sample } from "./_sample.ts";

export type { HistoryPoint } from "./_sample.ts";

/**
 * What the feed sends each interval as a `snapshot` event.
 *
 * @example Read the connection count
 * ```ts
 * import type { ConsoleSnapshot } from "@realtime/hub/console";
 *
 * const count = (s: ConsoleSnapshot) => s.point.connections;
 * ```
 */
export interface ConsoleSnapshot {
  /** Totals and rates now. */
  readonly point: HistoryPoint;
  /** The oldest connections (at most `rows`). */
  readonly connections: ConnectionPage;
  /** The busiest topics (at most `rows`). */
  readonly topics: TopicPage;
  /** Seconds since the hub started. */
  readonly uptimeSeconds: number;
}

/**
 * Options of {@linkcode createConsoleFeed}.
 *
 * @example A feed sampling every 2 s for 10 minutes
 * ```ts
 * import type { ConsoleFeedOptions } from "@realtime/hub/console";
 *
 * const options: ConsoleFeedOptions = { intervalMs: 2000, historyPoints: 300 };
 * ```
 */
export interface ConsoleFeedOptions {
  /**
   * Time and timers.
   *
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Milliseconds between snapshots.
   *
   * @default {1000}
   */
  intervalMs?: number;
  /**
   * Points kept for the sparklines (900 at one a second: 15 minutes of watching).
   *
   * @default {900}
   */
  historyPoints?: number;
  /**
   * Most viewers at once; one more is refused.
   *
   * @default {8}
   */
  maxViewers?: number;
  /**
   * Connections and topics in each snapshot.
   *
   * @default {100}
   */
  rows?: number;
}

/**
 * Options of {@linkcode ConsoleFeed.open}.
 *
 * @example End the stream when the viewer's credential stops being accepted
 * ```ts
 * import type { ViewerOptions } from "@realtime/hub/console";
 *
 * let revoked = false;
 * const options: ViewerOptions = { stillAllowed: () => !revoked };
 * ```
 */
export interface ViewerOptions {
  /**
   * Asked before each snapshot is sent to this viewer (not again while an
   * answer is pending); `false` ends the stream, so an expired or revoked
   * credential stops seeing data within an interval. Throwing counts as
   * `false`.
   *
   * @default {undefined} (never asked)
   */
  stillAllowed?: () => boolean | Promise<boolean>;
  /** Called once when `stillAllowed` ended the stream. @default {undefined} */
  onRefused?: () => void;
}

/**
 * The shared live feed, created by {@linkcode createConsoleFeed}.
 *
 * @example Open and cancel a stream
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { createConsoleFeed } from "@realtime/hub/console";
 * import assert from "node:assert/strict";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * const feed = createConsoleFeed(hub);
 * const stream = feed.open();
 * assert.ok(stream !== undefined && feed.sampling);
 * await stream.cancel();
 * assert.equal(feed.sampling, false);
 * feed.close();
 * await hub.close();
 * ```
 */
export interface ConsoleFeed {
  /**
   * Opens one viewer's event stream: a `history` event (the points kept so
   * far), then a `snapshot` event per interval. Cancelling the stream
   * removes the viewer.
   *
   * @param options How to re-check the viewer's credential.
   * @returns The stream, or `undefined` when `maxViewers` are watching or the feed is closed.
   */
  open(options?: ViewerOptions): ReadableStream<Uint8Array> | undefined;
  /** Viewers watching now. */
  readonly viewers: number;
  /** Whether the sampling timer is armed (only while someone watches). */
  readonly sampling: boolean;
  /**
   * Ends every stream and refuses new ones. The streams never end by
   * themselves: close the feed before shutting the HTTP server down.
   */
  close(): void;
}

const encoder = new TextEncoder();

/** One server-sent event; `data` is JSON, so it holds no newline. */
function event(name: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Creates the console's live feed over a hub. Nothing runs until the first
 * viewer opens a stream; the timer stops when the last one leaves. A viewer
 * whose stream is not being read (four snapshots queued) misses snapshots
 * rather than holding memory.
 *
 * @param hub The hub to watch.
 * @param options Clock, interval, history length, viewer bound, rows.
 * @returns The feed.
 * @throws {RangeError} When an option is out of range.
 *
 * @example Watch a hub
 * ```ts
 * import { createHub } from "@realtime/hub";
 * import { createConsoleFeed } from "@realtime/hub/console";
 * import assert from "node:assert/strict";
 *
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * const feed = createConsoleFeed(hub, { maxViewers: 1 });
 * const reader = feed.open()!.getReader();
 * const first = new TextDecoder().decode((await reader.read()).value);
 * assert.ok(first.startsWith("event: history\n"));
 * assert.equal(feed.open(), undefined); // one viewer at most
 * await reader.cancel();
 * feed.close();
 * await hub.close();
 * ```
 */
export function createConsoleFeed(hub: Hub, options: ConsoleFeedOptions = {}): ConsoleFeed {
  const {
    clock = systemClock,
    intervalMs = 1000,
    historyPoints = 900,
    maxViewers = 8,
    rows = 100,
  } = options;
  for (
    const [name, value, min, max] of [
      ["intervalMs", intervalMs, 10, 3_600_000],
      ["historyPoints", historyPoints, 1, 100_000],
      ["maxViewers", maxViewers, 1, 1000],
      ["rows", rows, 1, 500],
    ] as const
  ) {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(
        `Cannot create a console feed as '${name}' is ${value}: expected a whole number from ${min} to ${max}`,
      );
    }
  }
  type Viewer = ReadableStreamDefaultController<Uint8Array>;
  const viewers = new Set<Viewer>();
  const checks = new Map<Viewer, ViewerOptions & { pending: boolean }>();
  const history: HistoryPoint[] = [];
  let last: Sample | undefined;
  let uptimeSeconds = 0;
  let timer: TimerHandle | undefined;
  let closed = false;

  function sample(): Sample {
    let sent = 0;
    for (const n of hub.metrics.messagesOut.values()) sent += n;
    let received = 0;
    for (const n of hub.metrics.messagesIn.values()) received += n;
    const stats = hub.stats();
    uptimeSeconds = stats.uptimeSeconds;
    return {
      at: clock.now(),
      connections: stats.connections,
      users: stats.users,
      topics: stats.topics,
      subscriptions: stats.subscriptions,
      messagesIn: received,
      messagesOut: sent,
    };
  }

  function tick(): void {
    timer = undefined;
    if (viewers.size === 0) return;
    const now = sample();
    const point = nextPoint(last, now, intervalMs);
    last = now;
    history.push(point);
    if (history.length > historyPoints) history.shift();
    const chunk = event(
      "snapshot",
      {
        point,
        connections: hub.listConnections({ limit: rows }),
        topics: hub.listTopics({ limit: rows }),
        uptimeSeconds,
      } satisfies ConsoleSnapshot,
    );
    for (const viewer of viewers) {
      const check = checks.get(viewer);
      if (check !== undefined) recheck(viewer, check);
      // A viewer not reading misses snapshots instead of queueing them.
      if (viewers.has(viewer) && (viewer.desiredSize ?? 0) > 0) viewer.enqueue(chunk);
    }
    // A refused viewer may have been the last one.
    if (viewers.size > 0) timer = clock.setTimer(tick, intervalMs);
  }

  /** Asks whether `viewer` may still watch; ends its stream when not. */
  function recheck(viewer: Viewer, check: ViewerOptions & { pending: boolean }): void {
    if (check.pending) return;
    const refuse = () => {
      if (!viewers.has(viewer)) return;
      leave(viewer);
      try {
        viewer.close();
      } catch {
        // Already cancelled by its reader.
      }
      check.onRefused?.();
    };
    let answer: boolean | Promise<boolean>;
    try {
      answer = check.stillAllowed!();
    } catch {
      return refuse();
    }
    if (answer === true) return;
    if (answer === false) return refuse();
    check.pending = true;
    answer.then((ok) => {
      check.pending = false;
      if (!ok) refuse();
    }, () => {
      check.pending = false;
      refuse();
    });
  }

  function leave(viewer: Viewer): void {
    checks.delete(viewer);
    if (!viewers.delete(viewer) || viewers.size > 0) return;
    clock.clearTimer(timer);
    timer = undefined;
  }

  return {
    open(viewerOptions = {}) {
      if (closed || viewers.size >= maxViewers) return undefined;
      const { stillAllowed, onRefused } = viewerOptions;
      let self: Viewer;
      return new ReadableStream<Uint8Array>({
        start(controller) {
          self = controller;
          viewers.add(controller);
          if (stillAllowed !== undefined) {
            checks.set(controller, { stillAllowed, onRefused, pending: false });
          }
          controller.enqueue(event("history", { intervalMs, points: history }));
          // The first viewer starts the timer, with a snapshot right away.
          if (timer === undefined) timer = clock.setTimer(tick, 0);
        },
        cancel() {
          leave(self);
        },
      }, { highWaterMark: 4 });
    },
    get viewers() {
      return viewers.size;
    },
    get sampling() {
      return timer !== undefined;
    },
    close() {
      closed = true;
      for (const viewer of [...viewers]) {
        leave(viewer);
        try {
          viewer.close();
        } catch {
          // Already errored by its reader.
        }
      }
    },
  };
}
