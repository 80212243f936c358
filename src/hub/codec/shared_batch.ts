/**
 * The last batch the hub's doors wrote, shared between consecutive sockets
 * that are written the same frames (a fan-out): joined once, encoded once.
 * Internal to the hub (the codec layer is not exported).
 *
 * @module
 */

import type { TextSocket } from "./door.ts";

/** The batch of a hub that wrote none yet, or whose last write was one publication (`writeOne`). */
const NO_FRAMES: readonly string[] = Object.freeze([]);

/**
 * The last batch written, shared by the connections of one hub: a fan-out
 * queues the same frames (the same strings) for every subscriber in a turn,
 * so consecutive sockets with the same frames get the batch joined once, and
 * sockets that take bytes get it encoded to UTF-8 once, the same bytes each.
 *
 * @example Two sockets, one join and one encoding
 * ```ts
 * import { SharedBatch } from "./shared_batch.ts";
 * import assert from "node:assert/strict";
 *
 * const shared = new SharedBatch();
 * const sent: (string | Uint8Array)[] = [];
 * const socket = {
 *   bufferedAmount: 0,
 *   send: (text: string) => void sent.push(text),
 *   sendBytes: (bytes: Uint8Array) => void sent.push(bytes),
 *   close() {},
 * };
 * const frames = ["a", "b"];
 * shared.write(socket, frames);
 * shared.write(socket, frames);
 * assert.equal(sent[0], "a\nb");
 * assert.equal(new TextDecoder().decode(sent[1] as Uint8Array), "a\nb");
 * ```
 */
export class SharedBatch {
  #frames: readonly string[] = NO_FRAMES;
  #separator = "\n";
  #text = "";
  #bytes: Uint8Array | undefined;
  /** The publication of the last single frame written by `writeOne`, if that was the last write. */
  #key: object | undefined;
  #encoder = new TextEncoder();

  /**
   * Writes `frames` as one message, reusing the last batch's text (and its
   * bytes) when they are the same frames.
   */
  write(socket: TextSocket, frames: readonly string[], separator = "\n"): void {
    if (separator !== this.#separator || !this.#same(frames)) {
      this.#frames = frames;
      this.#key = undefined;
      this.#separator = separator;
      this.#text = frames.length === 1 ? frames[0] : frames.join(separator);
      this.#bytes = undefined;
      socket.send(this.#text);
    } else if (socket.sendBytes !== undefined) {
      socket.sendBytes(this.#bytes ??= this.#encoder.encode(this.#text));
    } else {
      socket.send(this.#text);
    }
  }

  /**
   * Writes one frame, `text`, made for `key` (a publication, the same object
   * for every subscriber): recognized by identity rather than by comparing
   * texts, so a fan-out of different publications, one to each socket, pays
   * no string comparison.
   */
  writeOne(socket: TextSocket, key: object, text: string): void {
    if (key !== this.#key) {
      this.#key = key;
      // No batch to match: a fan-out of a different publication to each socket allocates no array.
      this.#frames = NO_FRAMES;
      this.#text = text;
      this.#bytes = undefined;
      socket.send(text);
    } else if (socket.sendBytes !== undefined) {
      socket.sendBytes(this.#bytes ??= this.#encoder.encode(text));
    } else {
      socket.send(text);
    }
  }

  /** Forgets the last batch, so an idle hub holds none of its frames. */
  clear(): void {
    this.#key = undefined;
    this.#frames = NO_FRAMES;
    this.#text = "";
    this.#bytes = undefined;
  }

  #same(frames: readonly string[]): boolean {
    const last = this.#frames;
    if (last === frames) return true;
    if (last.length !== frames.length) return false;
    for (let i = 0; i < frames.length; i++) if (last[i] !== frames[i]) return false;
    return true;
  }
}
