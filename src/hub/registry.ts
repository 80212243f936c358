/**
 * The subscription registry: which local connections receive which topics.
 *
 * @module
 */

import { isPattern } from "../topic/topic.ts";
import { Multimap } from "./_multimap.ts";
import { PatternIndex } from "./_pattern_index.ts";

/** Receives the registry's first-subscriber and last-subscriber transitions. */
export interface RegistryEvents {
  /** The first local subscriber of a topic or pattern arrived. */
  onFirst(topicOrPattern: string): void;
  /** The last local subscriber of a topic or pattern left. */
  onLast(topicOrPattern: string): void;
}

/** The registry of local subscriptions, created by {@linkcode createRegistry}. */
export interface Registry<S extends object> {
  /** Adds a subscription; returns `false` when it already existed. */
  add(topicOrPattern: string, subscriber: S): boolean;
  /** Removes a subscription; returns `false` when it did not exist. */
  remove(topicOrPattern: string, subscriber: S): boolean;
  /** Calls `fn` once per subscriber of a concrete topic, even when several of its subscriptions match. */
  forEach(topic: string, fn: (subscriber: S) => void): void;
  /** Calls `fn` once per subscriber of exactly this topic or pattern, as subscribed. */
  forEachOf(topicOrPattern: string, fn: (subscriber: S) => void): void;
  /**
   * The subscribers of exactly this concrete topic, not through patterns:
   * the one subscriber, or a live set of several (not to be changed), or
   * `undefined` for none. For a key known to be concrete (a publication's
   * topic): it is not told from a pattern first, and no callback is made.
   */
  subscribersOf(topic: string): S | ReadonlySet<S> | undefined;
  /** How many subscribers a concrete topic or a pattern has, as subscribed. */
  count(topicOrPattern: string): number;
  /** Every topic and pattern with at least one subscriber, concrete topics first. */
  keys(): IterableIterator<string>;
  /** Distinct topics and patterns with at least one subscriber. */
  readonly size: number;
  /** Distinct patterns with at least one subscriber. */
  readonly patterns: number;
  /** Total subscriptions. */
  readonly subscriptions: number;
}

/**
 * Creates an empty registry. Concrete topics are a map lookup; pattern
 * subscriptions sit in a segment trie, so a publication costs what the
 * patterns that match it cost, not the number of patterns on the hub. A
 * connection matched twice receives the publication once.
 *
 * @param events First/last transitions, used to drive the engine.
 * @returns A registry.
 *
 * @example Register and fan out
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * import assert from "node:assert/strict";
 *
 * const got: string[] = [];
 * const registry = createRegistry<{ send(text: string): void }>({ onFirst() {}, onLast() {} });
 * const alice = { send: (text: string) => got.push(text) };
 * registry.add("chat:*", alice);
 * registry.add("chat:lobby", alice);
 * registry.forEach("chat:lobby", (s) => s.send("hi"));
 * assert.deepEqual(got, ["hi"]);
 * ```
 */
export function createRegistry<S extends object>(events: RegistryEvents): Registry<S> {
  // One subscriber per topic is common (inboxes, per-user rooms): a
  // Multimap keeps it without a Set.
  const exact = new Multimap<S>();
  const patterns = new Multimap<S>();
  const index = new PatternIndex();
  let subscriptions = 0;

  const mapFor = (key: string) => isPattern(key) ? patterns : exact;

  return {
    add(key, subscriber) {
      const map = mapFor(key);
      const first = !map.has(key);
      if (!map.add(key, subscriber)) return false;
      subscriptions++;
      if (first && map === patterns) index.add(key);
      if (first) events.onFirst(key);
      return true;
    },
    remove(key, subscriber) {
      const map = mapFor(key);
      if (!map.delete(key, subscriber)) return false;
      subscriptions--;
      if (map.has(key)) return true;
      if (map === patterns) index.delete(key);
      events.onLast(key);
      return true;
    },
    forEach(topic, fn) {
      if (patterns.size === 0) return exact.forEach(topic, fn);
      let seen: Set<S> | undefined;
      const once = (s: S) => {
        if (!seen!.has(s)) {
          seen!.add(s);
          fn(s);
        }
      };
      index.forEachMatch(topic.split(":"), (pattern) => {
        seen ??= new Set();
        patterns.forEach(pattern, once);
      });
      if (seen === undefined) exact.forEach(topic, fn);
      else exact.forEach(topic, once);
    },
    forEachOf(key, fn) {
      mapFor(key).forEach(key, fn);
    },
    subscribersOf(topic) {
      return exact.entry(topic);
    },
    count(key) {
      return mapFor(key).count(key);
    },
    *keys() {
      yield* exact.keys();
      yield* patterns.keys();
    },
    get size() {
      return exact.size + patterns.size;
    },
    get patterns() {
      return patterns.size;
    },
    get subscriptions() {
      return subscriptions;
    },
  };
}
