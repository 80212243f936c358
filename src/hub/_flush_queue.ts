/**
 * Writes once per turn of the event loop. Connections queue frames as they
 * are produced and join this queue; the queue flushes them together after the
 * socket events that are ready now have all been handled, so several frames
 * for one socket go out as one WebSocket message, and a large fan-out is
 * written in slices with the event loop free between them.
 *
 * @module
 */

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
  /** Items waiting. */
  readonly size: number;
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
}

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
  const schedule = options.schedule;
  // Flushed slots are cleared so their connections can be collected.
  let items: (Flushable | undefined)[] = [];
  let head = 0;
  let scheduled = false;

  function run(): void {
    scheduled = false;
    let writes = 0;
    while (head < items.length && writes < writesPerTurn) {
      const item = items[head]!;
      items[head++] = undefined;
      writes += item.flush();
    }
    if (head === items.length) {
      items = [];
      head = 0;
      options.drained?.();
    } else {
      if (head > 4096 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
      scheduled = true;
      schedule(run);
    }
  }

  return {
    add(item) {
      items.push(item);
      if (!scheduled) {
        scheduled = true;
        schedule(run);
      }
    },
    get size() {
      return items.length - head;
    },
  };
}
