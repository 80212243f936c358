/**
 * One topic's history: its epoch, its last offset and the publications it
 * still holds, oldest first. Pure data with no clock: callers pass `now`.
 *
 * @module
 */

import type { EnginePublication, HistoryEntry } from "./engine.ts";
import type { StreamView } from "./recovery.ts";

/**
 * A held publication. `prev`/`next` belong to the owner of many streams
 * (the history store's process-wide age list); the stream never reads them.
 */
export interface StreamEntry extends HistoryEntry {
  /** When the entry expires, in epoch milliseconds. */
  readonly expiresAt: number;
  /** Approximate memory the entry holds, in bytes. */
  readonly bytes: number;
  /** The stream holding the entry. */
  readonly stream: TopicStream;
  /** Previous entry in the owner's age list. */
  prev: StreamEntry | undefined;
  /** Next entry in the owner's age list. */
  next: StreamEntry | undefined;
}

// What a publication and a topic take on V8's heap besides their text,
// measured with --expose-gc (tests/engine/history_memory_test.ts): an entry,
// its publication object, two numbers and its slot in the stream's array
// (whose dead prefix may be as long as the live part) came to about 160
// bytes; a stream with its array, map slots and numbers to about 330 to 380.
/** Bytes counted per entry on top of its strings. */
const ENTRY_OVERHEAD = 176;
/** Bytes counted per topic on top of its name and epoch. */
const STREAM_OVERHEAD = 400;
/** Bytes counted per string on top of its characters: V8's string header. */
const STRING_OVERHEAD = 16;

function textBytes(text: string): number {
  // Two bytes per UTF-16 unit: V8 keeps Latin-1 text in one, so this over-counts
  // such text rather than risk under-counting the rest.
  return STRING_OVERHEAD + 2 * text.length;
}

/**
 * The approximate memory a publication holds once stored, in bytes: for
 * each of its strings a header and two bytes per UTF-16 code unit, plus a
 * fixed overhead per entry.
 *
 * @param publication The publication.
 * @returns An estimate, in bytes.
 *
 * @example Size a small publication
 * ```ts
 * import { publicationBytes } from "./topic_stream.ts";
 *
 * publicationBytes({ data: '"hi"', from: "alice", ts: 0 }); // 176 + (16 + 2 * 4) + (16 + 2 * 5)
 * ```
 */
export function publicationBytes(publication: EnginePublication): number {
  const { data, from, event, extra } = publication;
  return ENTRY_OVERHEAD + textBytes(data) + (from === null ? 0 : textBytes(from)) +
    (event === undefined ? 0 : textBytes(event)) + (extra === undefined ? 0 : textBytes(extra));
}

/**
 * A topic's stream: offsets are contiguous from the oldest held entry to the
 * newest, so a read by offset is an index computation. Entries leave only
 * from the front (count, TTL, byte budget); an append is O(1) amortized.
 *
 * @example Append and read back
 * ```ts
 * import { TopicStream } from "./topic_stream.ts";
 * import assert from "node:assert/strict";
 *
 * const stream = new TopicStream("chat:a", "e1", { size: 2, ttlMs: 1000 }, 0);
 * for (const data of ["1", "2", "3"]) {
 *   stream.append({ data, from: null, ts: 0 }, 0);
 *   if (stream.overfull) stream.shift(); // the owner trims, so it can account for bytes
 * }
 * assert.equal(stream.offset, 3);
 * assert.deepEqual(stream.read(1, 3).map((e) => e.offset), [2, 3]); // size 2: offset 1 left
 * ```
 */
export class TopicStream implements StreamView {
  /** The topic. */
  readonly topic: string;
  /** The stream's epoch. */
  readonly epoch: string;
  /** Most entries held. */
  readonly size: number;
  /** Lifetime of each entry, and of the stream once idle, in milliseconds. */
  readonly ttlMs: number;
  /** Approximate memory the stream holds besides its entries, in bytes. */
  readonly bytes: number;
  #offset = 0;
  #entries: StreamEntry[] = [];
  #head = 0;
  #activeAt: number;

  /**
   * Creates an empty stream at offset 0.
   *
   * @param topic The topic.
   * @param epoch The new stream's epoch.
   * @param limits How many entries to keep and for how long.
   * @param now Creation time in epoch milliseconds.
   */
  constructor(
    topic: string,
    epoch: string,
    limits: { readonly size: number; readonly ttlMs: number },
    now: number,
  ) {
    this.topic = topic;
    this.epoch = epoch;
    this.size = limits.size;
    this.ttlMs = limits.ttlMs;
    this.bytes = STREAM_OVERHEAD + textBytes(topic) + textBytes(epoch);
    this.#activeAt = now;
  }

  /** Offset of the newest publication, 0 before the first. */
  get offset(): number {
    return this.#offset;
  }

  /** How many entries are held. */
  get length(): number {
    return this.#entries.length - this.#head;
  }

  /** Offset of the oldest held entry; `offset + 1` when none is held. */
  get oldest(): number {
    return this.#offset - this.length + 1;
  }

  /** The oldest held entry. */
  get first(): StreamEntry | undefined {
    return this.#entries[this.#head];
  }

  /**
   * Whether the stream has nothing left to say at `now`: no entry held and
   * no publication or read for `ttlMs`. Its position may then be forgotten.
   */
  idle(now: number): boolean {
    return this.length === 0 && now - this.#activeAt >= this.ttlMs;
  }

  /** Marks the stream as in use, so its position survives another TTL. */
  touch(now: number): void {
    this.#activeAt = now;
  }

  /**
   * Appends a publication with the next offset.
   *
   * @returns The new entry; when the stream was full, the caller must also
   * unlink the entry {@linkcode TopicStream.shift} returns.
   */
  append(publication: EnginePublication, now: number): StreamEntry {
    this.#activeAt = now;
    const entry: StreamEntry = {
      offset: ++this.#offset,
      publication,
      expiresAt: now + this.ttlMs,
      bytes: publicationBytes(publication),
      stream: this,
      prev: undefined,
      next: undefined,
    };
    this.#entries.push(entry);
    return entry;
  }

  /** Whether more entries are held than `size` allows. */
  get overfull(): boolean {
    return this.length > this.size;
  }

  /** Whether the oldest entry has expired at `now`. */
  expired(now: number): boolean {
    const first = this.first;
    return first !== undefined && first.expiresAt <= now;
  }

  /** Removes and returns the oldest entry. */
  shift(): StreamEntry | undefined {
    const first = this.#entries[this.#head];
    if (first === undefined) return undefined;
    this.#entries[this.#head++] = undefined as unknown as StreamEntry;
    // Compact once the dead prefix is the larger half: O(1) amortized.
    if (this.#head >= 32 && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return first;
  }

  /** The held entries with offsets `from` to `from + count - 1`, oldest first. */
  read(from: number, count: number): HistoryEntry[] {
    const oldest = this.oldest;
    const start = Math.max(from, oldest);
    const end = Math.min(from + count - 1, this.#offset);
    const out: HistoryEntry[] = [];
    for (let offset = start; offset <= end; offset++) {
      // A fresh object: callers never get the store's links.
      out.push({ offset, publication: this.#entries[this.#head + offset - oldest].publication });
    }
    return out;
  }
}
