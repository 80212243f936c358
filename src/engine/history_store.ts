/**
 * Every topic's history in one process, within bounds: a count per topic,
 * a TTL per publication, and a byte budget across topics that evicts the
 * oldest publications first. An idle topic's position is forgotten after its
 * TTL, so its next publication starts a new epoch.
 *
 * @module
 */

import type {
  EnginePublication,
  HistoryEntry,
  HistoryQuery,
  HistoryResult,
  Recovery,
  StreamPosition,
} from "./engine.ts";
import type { HistoryRule } from "./history_policy.ts";
import { decideRecovery } from "./recovery.ts";
import { type StreamEntry, TopicStream } from "./topic_stream.ts";

/**
 * Options of {@linkcode HistoryStore}.
 *
 * @example Options for a test
 * ```ts
 * import type { HistoryStoreOptions } from "./history_store.ts";
 *
 * let n = 0;
 * const options: HistoryStoreOptions = { now: () => 0, newEpoch: () => `e${++n}`, maxBytes: 1 << 20 };
 * ```
 */
export interface HistoryStoreOptions {
  /** Current time in epoch milliseconds. */
  readonly now: () => number;
  /** Returns an epoch never returned before, in this process or any earlier one. */
  readonly newEpoch: () => string;
  /** Most bytes (approximate) all topics' history may hold. @default {67_108_864} */
  readonly maxBytes?: number;
}

/**
 * Numbers that show the store is bounded.
 *
 * @example Check the budget
 * ```ts
 * import type { HistoryStoreStats } from "./history_store.ts";
 *
 * const within = (s: HistoryStoreStats, max: number) => s.bytes <= max;
 * ```
 */
export interface HistoryStoreStats {
  /** Topics whose position is remembered. */
  readonly topics: number;
  /** Publications held across topics. */
  readonly entries: number;
  /** Approximate bytes held. */
  readonly bytes: number;
}

/**
 * Per-topic streams under one process-wide budget. Every method takes the
 * topic's {@linkcode HistoryRule} (from the history policy); the store never
 * sees topics without history.
 *
 * @example Keep two publications per topic
 * ```ts
 * import { HistoryStore } from "./history_store.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new HistoryStore({ now: () => 0, newEpoch: () => "e1" });
 * const rule = { pattern: "chat:*", size: 2, ttlMs: 60_000 };
 * for (const data of ["1", "2", "3"]) store.append("chat:a", rule, { data, from: null, ts: 0 });
 * const { publications, position } = store.history("chat:a", rule, { limit: 10 });
 * assert.deepEqual(publications.map((p) => p.publication.data), ["2", "3"]);
 * assert.deepEqual(position, { offset: 3, epoch: "e1" });
 * ```
 */
export class HistoryStore {
  #now: () => number;
  #newEpoch: () => string;
  #maxBytes: number;
  #streams = new Map<string, TopicStream>();
  // Streams that hold no publication, oldest first: the budget forgets these before any data.
  #empty = new Set<TopicStream>();
  #bytes = 0;
  #entries = 0;
  // Every held entry in append order, across topics: the budget evicts from the head.
  #head: StreamEntry | undefined;
  #tail: StreamEntry | undefined;

  /**
   * Creates an empty store.
   *
   * @param options Clock, epoch source and budget.
   */
  constructor(options: HistoryStoreOptions) {
    const { now, newEpoch, maxBytes = 67_108_864 } = options;
    if (typeof now !== "function") throw new TypeError("Invalid 'now': expected a function");
    if (typeof newEpoch !== "function") {
      throw new TypeError("Invalid 'newEpoch': expected a function");
    }
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError(`Invalid 'maxBytes': expected a positive integer, got ${maxBytes}`);
    }
    this.#now = now;
    this.#newEpoch = newEpoch;
    this.#maxBytes = maxBytes;
  }

  /** How much is held now. */
  get stats(): HistoryStoreStats {
    return { topics: this.#streams.size, entries: this.#entries, bytes: this.#bytes };
  }

  /**
   * Stores a publication with the topic's next offset; evicts what the
   * count, the TTL and the byte budget no longer allow.
   */
  append(topic: string, rule: HistoryRule, publication: EnginePublication): StreamPosition {
    const now = this.#now();
    const stream = this.#stream(topic, rule, now);
    const entry = stream.append(publication, now);
    this.#empty.delete(stream);
    this.#link(entry);
    if (stream.overfull) this.#unlink(stream.shift()!);
    this.#fitBudget(stream);
    return { offset: entry.offset, epoch: stream.epoch };
  }

  /** The topic's position; remembers the topic (with a new epoch) if it was not. */
  position(topic: string, rule: HistoryRule): StreamPosition {
    const now = this.#now();
    const stream = this.#stream(topic, rule, now);
    stream.touch(now);
    this.#fitBudget(stream);
    return { offset: stream.offset, epoch: stream.epoch };
  }

  /** Reads the topic's history (see {@linkcode HistoryQuery}). */
  history(topic: string, rule: HistoryRule, query: HistoryQuery): HistoryResult {
    const position = this.position(topic, rule);
    const stream = this.#streams.get(topic)!;
    const { since, limit, reverse = false } = query;
    if (since !== undefined && since.epoch !== stream.epoch) return { publications: [], position };
    let publications: HistoryEntry[];
    if (!reverse) {
      const from = since === undefined ? stream.oldest : since.offset + 1;
      publications = stream.read(from, limit);
    } else {
      const before = since === undefined
        ? stream.offset + 1
        : Math.min(since.offset, stream.offset + 1);
      const from = Math.max(stream.oldest, before - limit);
      publications = stream.read(from, before - from).reverse();
    }
    return { publications, position };
  }

  /** Everything after `since`, or nothing (see {@linkcode decideRecovery}). */
  recover(topic: string, rule: HistoryRule, since: StreamPosition, maxRecover: number): Recovery {
    const now = this.#now();
    const stream = this.#stream(topic, rule, now);
    stream.touch(now);
    this.#fitBudget(stream);
    return decideRecovery(since, stream, maxRecover);
  }

  /** Drops expired publications and forgets idle topics; O(topics). */
  sweep(): void {
    const now = this.#now();
    for (const [topic, stream] of this.#streams) {
      this.#trim(stream, now);
      if (stream.idle(now)) this.#forget(topic, stream);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.#streams.clear();
    this.#empty.clear();
    this.#head = this.#tail = undefined;
    this.#bytes = this.#entries = 0;
  }

  #stream(topic: string, rule: HistoryRule, now: number): TopicStream {
    let stream = this.#streams.get(topic);
    if (stream !== undefined) {
      this.#trim(stream, now);
      if (!stream.idle(now)) return stream;
      this.#forget(topic, stream);
    }
    stream = new TopicStream(topic, this.#newEpoch(), rule, now);
    this.#streams.set(topic, stream);
    this.#empty.add(stream);
    this.#bytes += stream.bytes;
    return stream;
  }

  #trim(stream: TopicStream, now: number): void {
    while (stream.expired(now)) this.#unlink(stream.shift()!);
  }

  #forget(topic: string, stream: TopicStream): void {
    while (stream.length > 0) this.#unlink(stream.shift()!);
    this.#streams.delete(topic);
    this.#empty.delete(stream);
    this.#bytes -= stream.bytes;
  }

  /**
   * Forgets the positions of empty topics (they hold no data), then evicts the
   * oldest publications anywhere, until within budget. Reads of many unknown
   * topics thus cannot push out anyone's history. O(1) per thing dropped.
   */
  #fitBudget(keep: TopicStream): void {
    this.#forgetEmpty(keep);
    if (this.#bytes <= this.#maxBytes) return;
    while (this.#bytes > this.#maxBytes && this.#head !== undefined) {
      const oldest = this.#head;
      oldest.stream.shift();
      this.#unlink(oldest);
    }
    this.#forgetEmpty(keep); // streams the eviction just emptied
  }

  #forgetEmpty(keep: TopicStream): void {
    for (const stream of this.#empty) {
      if (this.#bytes <= this.#maxBytes) return;
      if (stream !== keep) this.#forget(stream.topic, stream);
    }
  }

  #link(entry: StreamEntry): void {
    entry.prev = this.#tail;
    if (this.#tail === undefined) this.#head = entry;
    else this.#tail.next = entry;
    this.#tail = entry;
    this.#bytes += entry.bytes;
    this.#entries++;
  }

  #unlink(entry: StreamEntry): void {
    if (entry.prev === undefined) this.#head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === undefined) this.#tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = entry.next = undefined;
    this.#bytes -= entry.bytes;
    this.#entries--;
    if (entry.stream.length === 0 && this.#streams.get(entry.stream.topic) === entry.stream) {
      this.#empty.add(entry.stream);
    }
  }
}
