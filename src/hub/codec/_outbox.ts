/**
 * The outgoing buffer of one connection: frames queued in a turn of the
 * event loop, their size against `maxBufferedBytes` (back-pressure: the
 * connection drops a slow consumer), and writing them (batched under
 * `realtime.v1.batch`). Internal to the hub.
 *
 * @module
 */

import type { TextSocket } from "./door.ts";
import { utf8ByteLength } from "./utf8.ts";
import type { SharedBatch } from "./shared_batch.ts";

/** Batched messages are cut near this size (UTF-16 units), unless one frame is larger. */
const MAX_BATCH_CHARS = 64 * 1024;

/** Frames waiting for the end of the turn; one per connection, reused. */
export class Outbox {
  #frames: string[] | undefined;
  /** UTF-16 units in `#frames`: a lower bound of their UTF-8 bytes, a third of the upper one. */
  #chars = 0;
  /** Frames measured in UTF-8 so far (only near the limit), and their bytes. */
  #measured = 0;
  #measuredBytes = 0;

  /**
   * Queues a frame.
   *
   * @returns Whether the outbox was empty (the caller schedules a flush then).
   */
  add(text: string): boolean {
    const frames = this.#frames;
    if (frames === undefined) {
      this.#frames = [text];
      this.#chars = text.length;
      return true;
    }
    frames.push(text);
    this.#chars += text.length;
    return false;
  }

  /**
   * Whether `held` bytes plus the queued frames pass `limit`, counting the
   * frames in UTF-8. Their UTF-16 length bounds their bytes from below and,
   * times three, from above: only between the two bounds are frames
   * measured, each once, so the hot path pays one multiplication.
   */
  exceeds(held: number, limit: number): boolean {
    const chars = this.#chars;
    if (held + chars > limit) return true;
    if (held + chars * 3 <= limit) return false;
    const frames = this.#frames;
    if (frames === undefined) return false;
    let measured = this.#measured;
    let bytes = this.#measuredBytes;
    for (; measured < frames.length; measured++) bytes += utf8ByteLength(frames[measured]);
    this.#measured = measured;
    this.#measuredBytes = bytes;
    return held + bytes > limit;
  }

  /** Empties the outbox and returns what it held. */
  take(): string[] | undefined {
    const frames = this.#frames;
    this.#frames = undefined;
    this.#chars = 0;
    this.#measured = 0;
    this.#measuredBytes = 0;
    return frames;
  }

  /** UTF-16 units queued: a lower bound of their UTF-8 bytes (for listings). */
  get chars(): number {
    return this.#chars;
  }

  /** Whether frames are queued. */
  get isEmpty(): boolean {
    return this.#frames === undefined;
  }
}

/**
 * Whether `held` bytes plus one frame pass `limit`, counted in UTF-8 (as
 * {@linkcode Outbox.exceeds} counts, for a connection with one frame queued).
 */
export function frameExceeds(held: number, text: string, limit: number): boolean {
  const chars = text.length;
  if (held + chars > limit) return true;
  if (held + chars * 3 <= limit) return false;
  return held + utf8ByteLength(text) > limit;
}

/**
 * Writes frames to a socket, one message each, or batched (`\n`-separated,
 * cut near 64 KiB) when the client negotiated `realtime.v1.batch`. STOMP
 * frames end with their NUL, so they are batched with no separator. A batch
 * that fits one message goes through `shared`, when given.
 *
 * @returns How many WebSocket messages were written.
 */
export function writeFrames(
  socket: TextSocket,
  frames: string[],
  batch: boolean,
  separator = "\n",
  shared?: SharedBatch,
): number {
  let writes = 0;
  try {
    if (!batch) {
      if (frames.length === 1 && shared !== undefined) {
        shared.write(socket, frames, separator);
        return 1;
      }
      for (const frame of frames) {
        socket.send(frame);
        writes++;
      }
    } else {
      // Batches stay near MAX_BATCH_CHARS so one message never holds a whole burst.
      let start = 0;
      let chars = 0;
      for (let i = 0; i < frames.length; i++) {
        const size = frames[i].length + 1;
        if (chars > 0 && chars + size > MAX_BATCH_CHARS) {
          socket.send(frames.slice(start, i).join(separator));
          writes++;
          start = i;
          chars = 0;
        }
        chars += size;
      }
      if (start === 0 && shared !== undefined) shared.write(socket, frames, separator);
      else {
        socket.send(start === 0 ? frames.join(separator) : frames.slice(start).join(separator));
      }
      writes++;
    }
  } catch {
    // The socket is closing; its close event cleans up.
  }
  return writes;
}
