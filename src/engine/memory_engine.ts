/**
 * The in-memory engine: the default, serving one hub process. Publications
 * are delivered synchronously, in order; history and presence live in this
 * process and are lost with it, which every new process start makes visible
 * by giving each topic a new epoch.
 *
 * @module
 */

import { matchPattern } from "../topic/pattern.ts";
import { isPattern, validatePattern, validateTopic } from "../topic/topic.ts";
import type {
  ControlCommand,
  Delivery,
  Engine,
  EngineClock,
  EngineListener,
  EnginePublication,
  EnginePublishOptions,
  EngineSubscription,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  PresenceEvent,
  PresenceStats,
  Recovery,
  StreamPosition,
} from "./engine.ts";
import { PUBLISHED } from "./engine.ts";
import { EngineError } from "./errors.ts";
import {
  controlProblem,
  entryProblem,
  positionProblem,
  publicationProblem,
  publishOptionsProblem,
  queryProblem,
} from "./_validate.ts";
import { compileHistoryPolicy, type HistoryPolicy, type HistoryRule } from "./history_policy.ts";
import { HistoryStore } from "./history_store.ts";
import type { PresenceDiff } from "./presence_table.ts";
import { PresenceTable } from "./presence_table.ts";
import {
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_MAX_IDEMPOTENCY_KEYS,
  DEFAULT_MAX_IDEMPOTENCY_KEYS_TOTAL,
  IdempotencyWindow,
} from "./idempotency_window.ts";

/**
 * Options of {@linkcode createMemoryEngine}.
 *
 * @example Chat rooms keep their last 100 messages for 5 minutes
 * ```ts
 * import type { MemoryEngineOptions } from "./memory_engine.ts";
 *
 * const options: MemoryEngineOptions = {
 *   history: [{ pattern: "chat:*", size: 100, ttlMs: 300_000 }],
 *   maxHistoryBytes: 32 * 1024 * 1024,
 * };
 * ```
 */
export interface MemoryEngineOptions {
  /** Which topics keep history, first match wins. @default {[]} */
  readonly history?: readonly HistoryRule[];
  /** Most bytes (approximate) all history may hold; the oldest publications go first. @default {67_108_864} */
  readonly maxHistoryBytes?: number;
  /** Time and timers. @default {the system clock} */
  readonly clock?: EngineClock;
  /** How often expired history and idle topics are swept, in milliseconds. @default {1000} */
  readonly sweepIntervalMs?: number;
  /**
   * Returns a new epoch: never one returned before, in this process or an
   * earlier one. @default {a random prefix per engine and a counter}
   */
  readonly generateId?: () => string;
  /** Receives what a listener threw; other listeners still run. @default {globalThis.reportError} */
  readonly onListenerError?: (error: unknown) => void;
  /**
   * How long a publication's idempotency key is remembered, in
   * milliseconds: a repeat within it is answered with the first position
   * and not published again.
   *
   * @default {300_000}
   */
  readonly idempotencyWindowMs?: number;
  /**
   * Most idempotency keys remembered per publisher and topic; past it the
   * oldest is forgotten.
   *
   * @default {1000}
   */
  readonly maxIdempotencyKeys?: number;
  /**
   * Most idempotency keys remembered in all, a bound on the memory they
   * take (about 250 bytes each); past it the oldest is forgotten, so under
   * a load of more keyed publications per window the window is shorter.
   *
   * @default {100_000}
   */
  readonly maxIdempotencyKeysTotal?: number;
}

const SYSTEM_CLOCK: EngineClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as number),
};

const DONE: Promise<void> = Promise.resolve();
/**
 * One engine subscription. A class, not an object with an `unsubscribe`
 * closure: a hub holds one per topic with local subscribers, so the closure
 * and its context would cost every idle topic about 100 bytes.
 */
class Subscription implements EngineSubscription {
  readonly listener: EngineListener;
  /** The publish sequence number current when it subscribed: later ones reach it. */
  readonly from: number;
  readonly #key: string;
  readonly #index: SubscriptionIndex;

  constructor(key: string, index: SubscriptionIndex, listener: EngineListener, from: number) {
    this.#key = key;
    this.#index = index;
    this.listener = listener;
    this.from = from;
  }

  unsubscribe(): Promise<void> {
    removeFrom(this.#index, this.#key, this);
    return DONE;
  }
}

/**
 * Topics or patterns to their subscriptions. A key with one subscription
 * (the common case: one hub per process) maps to it directly and gets a
 * `Set` only with a second, saving an idle topic a set's hash table.
 */
type SubscriptionIndex = Map<string, Subscription | Set<Subscription>>;

function addTo(index: SubscriptionIndex, key: string, subscription: Subscription): void {
  const entry = index.get(key);
  if (entry === undefined) index.set(key, subscription);
  else if (entry instanceof Set) entry.add(subscription);
  else index.set(key, new Set([entry, subscription]));
}

function removeFrom(index: SubscriptionIndex, key: string, subscription: Subscription): void {
  const entry = index.get(key);
  if (entry === subscription) index.delete(key);
  else if (entry instanceof Set && entry.delete(subscription) && entry.size === 1) {
    index.set(key, entry.values().next().value!);
  }
}

/**
 * Creates the in-memory engine. Every topic's stream gets a new epoch in a
 * new engine, so a client resuming after a hub restart is told
 * `recovered: false`, never a false `true`.
 *
 * @param options History rules, budget, clock and id source.
 * @returns An engine; close it to release its sweep timer.
 * @throws {TypeError} When an option has the wrong type or a history rule is invalid.
 * @throws {RangeError} When a number is out of range.
 *
 * @example Recover what a client missed
 * ```ts
 * import { createMemoryEngine } from "./memory_engine.ts";
 * import assert from "node:assert/strict";
 *
 * await using engine = createMemoryEngine({ history: [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }] });
 * const seen = await engine.publish("chat:a", { data: "1", from: null, ts: 0 });
 * await engine.publish("chat:a", { data: "2", from: null, ts: 0 });
 * const recovery = await engine.recover("chat:a", seen!, 100);
 * assert.equal(recovery.recovered, true);
 * assert.deepEqual(recovery.recovered && recovery.publications.map((p) => p.publication.data), ["2"]);
 * ```
 */
export function createMemoryEngine(options: MemoryEngineOptions = {}): Engine {
  return new MemoryEngine(options);
}

class MemoryEngine implements Engine {
  #policy: HistoryPolicy;
  #store: HistoryStore;
  #presence = new PresenceTable();
  #idempotency: IdempotencyWindow;
  #clock: EngineClock;
  #onListenerError: (error: unknown) => void;
  #exact: SubscriptionIndex = new Map();
  #patterns: SubscriptionIndex = new Map();
  #controls = new Set<(command: ControlCommand) => void>();
  /** Node announcements by id, each with the time it lapses. */
  #announced = new Map<string, { info: string; until: number }>();
  #observers = new Set<EngineListener>();
  #sequence = 0;
  #delivering = false;
  #pending: (() => void)[] = [];
  #sweepMs: number;
  #keepsHistory: boolean;
  #timer: unknown;
  #closed = false;

  constructor(options: MemoryEngineOptions) {
    const {
      history = [],
      maxHistoryBytes,
      clock = SYSTEM_CLOCK,
      sweepIntervalMs = 1000,
      generateId = defaultIds(),
      onListenerError = (error: unknown) => globalThis.reportError(error),
      idempotencyWindowMs = DEFAULT_IDEMPOTENCY_WINDOW_MS,
      maxIdempotencyKeys = DEFAULT_MAX_IDEMPOTENCY_KEYS,
      maxIdempotencyKeysTotal = DEFAULT_MAX_IDEMPOTENCY_KEYS_TOTAL,
    } = options;
    if (
      maxHistoryBytes !== undefined &&
      (!Number.isSafeInteger(maxHistoryBytes) || maxHistoryBytes < 1)
    ) {
      throw new RangeError(
        `Invalid 'maxHistoryBytes': expected a positive integer, got ${maxHistoryBytes}`,
      );
    }
    if (typeof generateId !== "function") {
      throw new TypeError("Invalid 'generateId': expected a function");
    }
    if (!Number.isSafeInteger(sweepIntervalMs) || sweepIntervalMs < 1) {
      throw new RangeError(
        `Invalid 'sweepIntervalMs': expected a positive integer, got ${sweepIntervalMs}`,
      );
    }
    this.#policy = compileHistoryPolicy(history);
    this.#store = new HistoryStore({
      now: () => clock.now(),
      newEpoch: generateId,
      maxBytes: maxHistoryBytes,
    });
    this.#idempotency = new IdempotencyWindow({
      windowMs: idempotencyWindowMs,
      maxKeys: maxIdempotencyKeys,
      maxTotal: maxIdempotencyKeysTotal,
      now: () => clock.now(),
    });
    this.#clock = clock;
    this.#onListenerError = onListenerError;
    this.#sweepMs = sweepIntervalMs;
    this.#keepsHistory = history.length > 0;
    if (this.#keepsHistory) this.#armSweep();
  }

  publish(
    topic: string,
    publication: EnginePublication,
    options?: EnginePublishOptions,
  ): Promise<StreamPosition | undefined> {
    if (this.#closed) return closed();
    // A topic with a subscription here passed the grammar when it was
    // subscribed (a concrete valid pattern is a valid topic): the common
    // case, a publish to a followed topic, skips the check.
    const problem = (this.#exact.has(topic) ? undefined : validateTopic(topic)) ??
      publicationProblem(publication) ?? publishOptionsProblem(options);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    const rule = this.#policy(topic);
    const key = options?.idempotencyKey;
    if (key !== undefined) {
      const held = this.#idempotency.get(topic, publication.from, key);
      if (held !== undefined) {
        options!.onRepeat?.();
        return held === null ? PUBLISHED : Promise.resolve(held);
      }
    }
    if (rule === undefined) {
      if (key !== undefined) {
        this.#idempotency.remember(topic, publication.from, key, null);
        if (this.#timer === undefined) this.#armSweep();
      }
      this.#deliver(++this.#sequence, topic, { topic, publication });
      return PUBLISHED;
    }
    const sequence = ++this.#sequence;
    const position = this.#store.append(topic, rule, publication);
    if (key !== undefined) this.#idempotency.remember(topic, publication.from, key, position);
    this.#deliver(sequence, topic, {
      topic,
      publication,
      offset: position.offset,
      epoch: position.epoch,
    });
    return Promise.resolve(position);
  }

  subscribe(topicOrPattern: string, listener: EngineListener): Promise<EngineSubscription> {
    if (this.#closed) return closed();
    const problem = validatePattern(topicOrPattern);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    if (typeof listener?.onPublication !== "function") {
      return Promise.reject(new TypeError("Invalid listener: 'onPublication' is not a function"));
    }
    const index = isPattern(topicOrPattern) ? this.#patterns : this.#exact;
    const subscription = new Subscription(topicOrPattern, index, listener, this.#sequence);
    addTo(index, topicOrPattern, subscription);
    return Promise.resolve(subscription);
  }

  /**
   * Delivers every concrete topic's publications and presence events to
   * `listener`, after the topic's own subscriptions.
   *
   * @example Count every publication
   * ```ts
   * import { createMemoryEngine } from "./memory_engine.ts";
   * import assert from "node:assert/strict";
   *
   * await using engine = createMemoryEngine();
   * const topics: string[] = [];
   * const stop = engine.observe!({ onPublication: (d) => void topics.push(d.topic) });
   * await engine.publish("chat:a", { data: "1", from: null, ts: 0 });
   * stop();
   * await engine.publish("chat:b", { data: "2", from: null, ts: 0 });
   * assert.deepEqual(topics, ["chat:a"]);
   * ```
   */
  observe(listener: EngineListener): () => void {
    if (typeof listener?.onPublication !== "function") {
      throw new TypeError("Invalid listener: 'onPublication' is not a function");
    }
    if (this.#closed) return () => {};
    this.#observers.add(listener);
    return () => void this.#observers.delete(listener);
  }

  position(topic: string): Promise<StreamPosition> {
    return this.#withHistory(topic, (rule) => this.#store.position(topic, rule));
  }

  history(topic: string, query: HistoryQuery): Promise<HistoryResult> {
    const problem = queryProblem(query);
    if (problem !== undefined && !this.#closed) return Promise.reject(problem);
    return this.#withHistory(topic, (rule) => this.#store.history(topic, rule, query));
  }

  recover(topic: string, since: StreamPosition, maxRecover: number): Promise<Recovery> {
    const problem = positionProblem(since, "since") ??
      (Number.isSafeInteger(maxRecover) && maxRecover >= 0 ? undefined : new RangeError(
        `Invalid 'maxRecover': expected a non-negative integer, got ${maxRecover}`,
      ));
    if (problem !== undefined && !this.#closed) return Promise.reject(problem);
    return this.#withHistory(
      topic,
      (rule) => this.#store.recover(topic, rule, since, maxRecover),
    );
  }

  presenceAdd(topic: string, entry: PresenceEntry): Promise<void> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic) ?? entryProblem(entry);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    const { connection, user, info } = entry;
    this.#announce(topic, this.#presence.add(topic, { connection, user, info }));
    return DONE;
  }

  presenceRemove(topic: string, connection: string): Promise<void> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic) ??
      (typeof connection === "string" ? undefined : "Invalid 'connection': expected a string");
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    this.#announce(topic, this.#presence.remove(topic, connection));
    return DONE;
  }

  presence(topic: string): Promise<readonly PresenceEntry[]> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    return Promise.resolve(this.#presence.list(topic));
  }

  presenceStats(topic: string): Promise<PresenceStats> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    return Promise.resolve(this.#presence.stats(topic));
  }

  control(command: ControlCommand): Promise<void> {
    if (this.#closed) return closed();
    const problem = controlProblem(command);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    for (const handler of this.#controls) {
      try {
        handler(command);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
    return DONE;
  }

  onControl(handler: (command: ControlCommand) => void): () => void {
    if (typeof handler !== "function") throw new TypeError("Invalid handler: expected a function");
    if (this.#closed) return () => {};
    this.#controls.add(handler);
    return () => void this.#controls.delete(handler);
  }

  announce(id: string, info: string, ttlMs: number): Promise<void> {
    if (this.#closed) return closed();
    this.#announced.set(id, { info, until: this.#clock.now() + ttlMs });
    return DONE;
  }

  withdraw(id: string): Promise<void> {
    if (this.#closed) return closed();
    this.#announced.delete(id);
    return DONE;
  }

  nodes(): Promise<readonly string[]> {
    if (this.#closed) return closed();
    const now = this.#clock.now();
    const live: string[] = [];
    for (const [id, { info, until }] of this.#announced) {
      if (until < now) this.#announced.delete(id);
      else live.push(info);
    }
    return Promise.resolve(live);
  }

  close(): Promise<void> {
    if (this.#closed) return DONE;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#exact.clear();
    this.#patterns.clear();
    this.#controls.clear();
    this.#observers.clear();
    this.#pending.length = 0;
    this.#store.clear();
    this.#presence.clear();
    this.#idempotency.clear();
    return DONE;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #withHistory<T>(topic: string, read: (rule: HistoryRule) => T): Promise<T> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    const rule = this.#policy(topic);
    if (rule === undefined) {
      return Promise.reject(
        new EngineError("NO_HISTORY", `Topic '${topic}' keeps no history`),
      );
    }
    return Promise.resolve(read(rule));
  }

  /**
   * Delivers in publication order even when a listener publishes while being
   * called: nested work waits in a queue until the current delivery is done.
   */
  #deliver(sequence: number, topic: string, delivery: Delivery): void {
    if (this.#delivering) {
      this.#pending.push(() => this.#fanOut(sequence, topic, delivery, undefined));
      return;
    }
    this.#delivering = true;
    try {
      this.#fanOut(sequence, topic, delivery, undefined);
      this.#drain();
    } finally {
      this.#delivering = false;
    }
  }

  #announce(topic: string, diff: PresenceDiff): void {
    if (diff.joins.length === 0 && diff.leaves.length === 0) return;
    const sequence = ++this.#sequence;
    if (this.#delivering) {
      this.#pending.push(() => this.#announceNow(sequence, topic, diff));
      return;
    }
    this.#delivering = true;
    try {
      this.#announceNow(sequence, topic, diff);
      this.#drain();
    } finally {
      this.#delivering = false;
    }
  }

  /** Delivers a diff's leaves, then its joins (once per subscribe: no intermediate arrays). */
  #announceNow(sequence: number, topic: string, diff: PresenceDiff): void {
    for (const entry of diff.leaves) {
      this.#fanOut(sequence, topic, undefined, { topic, type: "leave", entry });
    }
    for (const entry of diff.joins) {
      this.#fanOut(sequence, topic, undefined, { topic, type: "join", entry });
    }
  }

  #drain(): void {
    for (let i = 0; i < this.#pending.length; i++) this.#pending[i]();
    this.#pending.length = 0;
  }

  #fanOut(
    sequence: number,
    topic: string,
    delivery: Delivery | undefined,
    event: PresenceEvent | undefined,
  ): void {
    const exact = this.#exact.get(topic);
    if (exact instanceof Set) {
      for (const subscription of exact) this.#call(subscription, sequence, delivery, event);
    } else if (exact !== undefined) this.#call(exact, sequence, delivery, event);
    if (this.#observers.size > 0) {
      for (const observer of this.#observers) this.#notify(observer, delivery, event);
    }
    if (this.#patterns.size === 0) return;
    for (const [pattern, subscriptions] of this.#patterns) {
      if (!matchPattern(pattern, topic)) continue;
      if (subscriptions instanceof Set) {
        for (const subscription of subscriptions) {
          this.#call(subscription, sequence, delivery, event);
        }
      } else this.#call(subscriptions, sequence, delivery, event);
    }
  }

  #call(
    subscription: Subscription,
    sequence: number,
    delivery: Delivery | undefined,
    event: PresenceEvent | undefined,
  ): void {
    // A subscription made after this publication started does not receive it.
    if (subscription.from >= sequence) return;
    this.#notify(subscription.listener, delivery, event);
  }

  #notify(
    listener: EngineListener,
    delivery: Delivery | undefined,
    event: PresenceEvent | undefined,
  ): void {
    try {
      if (delivery !== undefined) listener.onPublication(delivery);
      else listener.onPresence?.(event!);
    } catch (error) {
      this.#onListenerError(error);
    }
  }

  #armSweep(): void {
    this.#timer = this.#clock.setTimer(() => {
      if (this.#closed) return;
      this.#store.sweep();
      this.#idempotency.sweep();
      // Without history rules, the sweep runs only while keys are remembered.
      if (this.#keepsHistory || this.#idempotency.size > 0) this.#armSweep();
      else this.#timer = undefined;
    }, this.#sweepMs);
  }
}

function closed(): Promise<never> {
  return Promise.reject(new EngineError("ENGINE_CLOSED", "Engine is closed"));
}

function defaultIds(): () => string {
  const prefix = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  let counter = 0;
  return () => `${prefix}.${(++counter).toString(36)}`;
}
