/**
 * Writes once per turn of the event loop. Connections queue frames as they
 * are produced and join this queue; the queue flushes them together after the
 * socket events that are ready now have all been handled, so several frames
 * for one socket go out as one WebSocket message, and a large fan-out is
 * written in slices with the event loop free between them.
 *
 * When the hub is busy (a flush wrote many messages and more frames arrive
 * within `coalesceMs` of it), the next flush waits `coalesceMs` so that later
 * publications join the same write, as NATS and uWebSockets cork: fewer,
 * larger writes per delivery. When it is not, frames leave at the end of the
 * turn, as before, so a light load pays no latency.
 *
 * @module
 */

import type { Clock, TimerHandle } from "./clock.ts";

/** Something with frames waiting to be written. */
export interface Flushable {
  /**
   * Writes what is waiting.
   *
   * @returns How many WebSocket messages it wrote.
   */
  flush(): number;
}

/** A queue created by {@linkcode createFlushQueue}. */
export interface FlushQueue {
  /** Adds an item to flush at the end of this turn; the caller adds each item at most once per flush. */
  add(item: Flushable): void;
  /**
   * Adds an item holding publications only: while the hub is busy it waits
   * for the coalescing window, else it is added for this turn as by `add`.
   * An item that waits and then gets a frame that must not (a reply) is
   * added again with `add`; its frames keep their order, as they are one
   * queue, and the later flush finds nothing.
   *
   * @returns Whether the item waits for the window.
   */
  hold(item: Flushable): boolean;
  /** Items waiting. */
  readonly size: number;
  /** Flushes now what waits for a coalescing window, and coalesces no more (the hub closes). */
  close(): void;
}

/** Options of {@linkcode createFlushQueue}. */
export interface FlushQueueOptions {
  /**
   * Runs a function after the I/O events that are ready now
   * (`setImmediate` in Deno and Node).
   */
  schedule(fn: () => void): void;
  /**
   * Writes per slice: past it, the rest waits for the next turn, so incoming
   * frames, heartbeats and the writes themselves are not held up by one
   * large fan-out. Items keep their order across slices.
   *
   * @default {1024}
   */
  writesPerTurn?: number;
  /** Called once every waiting item was flushed (not between slices). */
  drained?: () => void;
  /**
   * How long a busy hub holds the next flush so that later frames join the
   * same write, in milliseconds; 0 flushes at the end of every turn.
   *
   * @default {0}
   */
  coalesceMs?: number;
  /**
   * Messages written by one flush (all its slices) from which the hub counts
   * as busy: frames added within `coalesceMs` after such a flush wait for
   * the window.
   *
   * @default {64}
   */
  busyWrites?: number;
  /** Time and timers for the window; needed when `coalesceMs` is above 0. */
  clock?: Clock;
}

/** Slots of the queue's array kept once drained: a fan-out to this many connections regrows nothing. */
const KEPT_SLOTS = 16_384;

/**
 * Creates a flush queue.
 *
 * @param options How to schedule and how much to write per turn.
 * @returns The queue.
 *
 * @example Two frames queued in one turn leave in one write
 * ```ts
 * import { createFlushQueue } from "./_flush_queue.ts";
 * import assert from "node:assert/strict";
 *
 * const turns: (() => void)[] = [];
 * const queue = createFlushQueue({ schedule: (fn) => turns.push(fn) });
 * const written: string[] = [];
 * let pending: string[] = [];
 * const socket = {
 *   flush() {
 *     written.push(pending.join("\n"));
 *     pending = [];
 *     return 1;
 *   },
 * };
 * pending.push("a");
 * queue.add(socket);
 * pending.push("b");
 * turns.shift()!();
 * assert.deepEqual(written, ["a\nb"]);
 * ```
 */
export function createFlushQueue(options: FlushQueueOptions): FlushQueue {
  const writesPerTurn = options.writesPerTurn ?? 1024;
  if (!Number.isInteger(writesPerTurn) || writesPerTurn < 1) {
    throw new RangeError(
      `Cannot create flush queue as 'writesPerTurn' is ${writesPerTurn}: give a positive integer`,
    );
  }
  let coalesceMs = options.coalesceMs ?? 0;
  if (!(coalesceMs >= 0) || !Number.isFinite(coalesceMs)) {
    throw new RangeError(
      `Cannot create flush queue as 'coalesceMs' is ${coalesceMs}: give a number of milliseconds >= 0`,
    );
  }
  const busyWrites = options.busyWrites ?? 64;
  if (!Number.isInteger(busyWrites) || busyWrites < 1) {
    throw new RangeError(
      `Cannot create flush queue as 'busyWrites' is ${busyWrites}: give a positive integer`,
    );
  }
  const clock = options.clock;
  if (coalesceMs > 0 && clock === undefined) {
    throw new TypeError("Cannot create flush queue with 'coalesceMs' above 0 and no 'clock'");
  }
  const schedule = options.schedule;
  // Flushed slots are cleared so their connections can be collected. The
  // array is kept from turn to turn, items written from `head` up to `tail`:
  // a turn that queues as many connections as the last grows nothing (a new
  // array per turn was regrown by every fan-out, about 12 bytes per item).
  let items: (Flushable | undefined)[] = [];
  let head = 0;
  let tail = 0;
  let scheduled = false;
  /** Items waiting for the coalescing window, and its timer while one runs. */
  let held: Flushable[] = [];
  let timer: TimerHandle | undefined;
  /** Messages written since the queue was last drained, over its slices. */
  let drainWrites = 0;
  /** When the last busy flush ended; frames added soon after wait for the window. */
  let busyAt = -Infinity;

  /** The window is over: what waited joins this turn's flush. */
  function release(): void {
    timer = undefined;
    for (const item of held) put(item);
    held = [];
    if (!scheduled) run();
  }

  function run(): void {
    scheduled = false;
    let writes = 0;
    while (head < tail && writes < writesPerTurn) {
      const item = items[head]!;
      items[head++] = undefined;
      writes += item.flush();
    }
    drainWrites += writes;
    if (head === tail) {
      // A burst's array is not kept: an idle hub holds a small one at most.
      if (items.length > KEPT_SLOTS) items = [];
      head = 0;
      tail = 0;
      if (coalesceMs > 0 && drainWrites >= busyWrites) busyAt = clock!.now();
      drainWrites = 0;
      options.drained?.();
    } else {
      if (head > 4096 && head * 2 > tail) {
        items = items.slice(head, tail);
        tail -= head;
        head = 0;
      }
      scheduled = true;
      schedule(run);
    }
  }

  /** Queues an item in the next free slot. */
  function put(item: Flushable): void {
    if (tail < items.length) items[tail] = item;
    else items.push(item);
    tail++;
  }

  function add(item: Flushable): void {
    put(item);
    if (!scheduled) {
      scheduled = true;
      schedule(run);
    }
  }

  return {
    add,
    hold(item) {
      // A window is open: join it, without reading the clock for each subscriber of a fan-out.
      if (timer !== undefined) {
        held.push(item);
        return true;
      }
      // Busy: the item waits for the window, so the next publications join it.
      if (coalesceMs === 0 || busyAt === -Infinity || clock!.now() - busyAt > coalesceMs) {
        add(item);
        return false;
      }
      held.push(item);
      timer = clock!.setTimer(release, coalesceMs);
      return true;
    },
    get size() {
      return tail - head + held.length;
    },
    close() {
      coalesceMs = 0;
      if (timer === undefined) return;
      clock!.clearTimer(timer);
      release();
    },
  };
}
