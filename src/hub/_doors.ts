// The hosts the hub's doors share: one per kind of door (protocol v1 with
// and without `realtime.v1.batch`, STOMP, SSE), and the flush queue that
// writes their frames at the end of a turn. Consecutive doors written the
// same frames share one encoded batch, forgotten when the queue drains.
// Internal.

import type { StompDoorHost } from "./codec/stomp.ts";
import { SharedBatch } from "./codec/shared_batch.ts";
import type { V1DoorHost } from "./codec/v1.ts";
import type { Clock } from "./clock.ts";
import type { Deadline, Deadlines } from "./_deadlines.ts";
import { createFlushQueue, type FlushQueue } from "./_flush_queue.ts";
import type { HubMetrics } from "./metrics.ts";
import type { HubLimits, HubOptions } from "./options.ts";
import { createStompHost } from "./stomp_options.ts";

/** The doors' slice of the hub's options. */
export type DoorsOptions = Pick<HubOptions, "coalesceMs" | "stomp">;

/** What the doors' hosts need of their hub. */
export interface DoorsDeps {
  /** Runs a function after the I/O events that are ready now. */
  schedule(fn: () => void): void;
  clock: Clock;
  /** The clock as a frame's handling sees it (`_frame_clock.ts`). */
  frameClock: Clock;
  limits: HubLimits;
  metrics: HubMetrics;
  deadlines: Deadlines;
  /** What STOMP message ids start with, unique per hub. */
  idPrefix: string;
}

/** The hosts of one hub's doors, created by {@linkcode createDoors}. */
export interface Doors {
  readonly flushQueue: FlushQueue;
  /** Protocol v1 without `realtime.v1.batch`. */
  readonly plain: V1DoorHost;
  /** Protocol v1 with `realtime.v1.batch`. */
  readonly batch: V1DoorHost;
  /** STOMP (`docs/stomp.md`). */
  readonly stomp: StompDoorHost;
  /** The last chunk written to an SSE stream. */
  readonly sseShared: SharedBatch;
}

/** Checks the doors' options and creates their hosts. */
export function createDoors(options: DoorsOptions, deps: DoorsDeps): Doors {
  const { limits, metrics, clock, deadlines } = deps;
  /** The last batch written by each kind of v1 door, forgotten once a flush is done. */
  const plainShared = new SharedBatch();
  const batchShared = new SharedBatch();
  /** The same for SSE streams and for STOMP sessions. */
  const sseShared = new SharedBatch();
  const stompShared = new SharedBatch();
  const flushQueue = createFlushQueue({
    schedule: deps.schedule,
    coalesceMs: options.coalesceMs ?? 2,
    // A publication queued while a frame is handled is held or not by the
    // frame's reading of the clock, not one more reading per subscriber.
    clock: deps.frameClock,
    drained() {
      plainShared.clear();
      batchShared.clear();
      sseShared.clear();
      stompShared.clear();
      stomp.codec.clear();
    },
  });
  const stomp = createStompHost(options.stomp, {
    limits,
    flushQueue,
    metrics,
    timers: {
      now: () => clock.now(),
      add: (at, fn, self) => deadlines.add(at, fn, self),
      cancel: (d) => deadlines.cancel(d as Deadline),
    },
    idPrefix: deps.idPrefix,
    shared: stompShared,
  });
  return {
    flushQueue,
    plain: { limits, flushQueue, metrics, batch: false, shared: plainShared },
    batch: { limits, flushQueue, metrics, batch: true, shared: batchShared },
    stomp,
    sseShared,
  };
}
