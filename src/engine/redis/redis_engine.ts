/**
 * The Redis engine: the engine contract over one or several Redis instances,
 * so many hub processes share topics, history, presence and commands. See
 * `docs/scaling.md` for every key, channel, bound and the capacity model.
 *
 * @module
 */

import { matchPattern } from "../../acl/pattern.ts";
import { isPattern, validatePattern, validateTopic } from "../../acl/topic.ts";
import type {
  ControlCommand,
  Engine,
  EngineClock,
  EngineListener,
  EnginePublication,
  EngineSubscription,
  HistoryEntry,
  HistoryQuery,
  HistoryResult,
  LostEvent,
  PresenceEntry,
  PresenceStats,
  Recovery,
  StreamPosition,
} from "../engine.ts";
import { EngineError } from "../errors.ts";
import { compileHistoryPolicy, type HistoryPolicy, type HistoryRule } from "../history_policy.ts";
import { decideRecovery } from "../recovery.ts";
import { entryProblem, positionProblem, publicationProblem, queryProblem } from "../_validate.ts";
import {
  type ChannelMessage,
  decodeChannelMessage,
  decodeControl,
  decodeEntry,
  decodePublication,
  encodeControl,
  encodeEntry,
  encodePublication,
  isControlType,
  plainMessage,
} from "./_codec.ts";
import {
  channelTopic,
  controlChannel,
  patternGlob,
  PREFIX_RE,
  probeChannel,
  topicChannel,
  topicKeys,
} from "./_names.ts";
import { loadScripts, type Scripts } from "./_scripts.ts";
import { Shard } from "./_shard.ts";
import { shardRing } from "./_shard_ring.ts";

/**
 * What the Redis engine reports about itself to the operator.
 *
 * @example Print warnings
 * ```ts
 * import type { RedisEngineLogEntry } from "./redis_engine.ts";
 *
 * const log = (entry: RedisEngineLogEntry) => entry.level === "warn" ? entry.message : undefined;
 * ```
 */
export interface RedisEngineLogEntry {
  /** How serious. */
  readonly level: "info" | "warn";
  /** A stable name: `unsafe_maxmemory_policy`, `subscriber_lost`, `resubscribed`, `resubscribe_failed`, `heartbeat_missed`, `bad_message`. */
  readonly event: string;
  /** What happened, sentence case; URLs have their credentials redacted. */
  readonly message: string;
}

/**
 * Options of {@linkcode createRedisEngine}. Give `url` or `urls`.
 *
 * @example Two shards, chat history
 * ```ts
 * import type { RedisEngineOptions } from "./redis_engine.ts";
 *
 * const options: RedisEngineOptions = {
 *   urls: ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"],
 *   history: [{ pattern: "chat:*", size: 100, ttlMs: 300_000 }],
 * };
 * ```
 */
export interface RedisEngineOptions {
  /** One Redis instance, such as `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Several instances: topics are spread over them by consistent hashing; the control channel lives on the first. */
  readonly urls?: readonly string[];
  /** Prefix of every key and channel: 1 to 32 of `A-Z a-z 0-9 _ - .`. @default {"rt"} */
  readonly prefix?: string;
  /** Which topics keep history, first match wins. @default {[]} */
  readonly history?: readonly HistoryRule[];
  /** Time and timers. @default {the system clock} */
  readonly clock?: EngineClock;
  /** Longest wait for Redis to answer one command; past it the call rejects with `ENGINE_UNAVAILABLE`. @default {2000} */
  readonly commandTimeoutMs?: number;
  /** Longest wait for a connection at start. @default {2000} */
  readonly connectTimeoutMs?: number;
  /** How long a channel stays subscribed after its last local subscriber left. @default {1000} */
  readonly unsubscribeDelayMs?: number;
  /** How long a presence entry lives unless refreshed: the bound for a crashed hub's entries. @default {8000} */
  readonly presenceTtlMs?: number;
  /** How often this engine refreshes its presence entries; below `presenceTtlMs`. @default {2000} */
  readonly presenceRefreshMs?: number;
  /** How often a probe goes through each subscriber connection; a probe not back within `commandTimeoutMs` forces a reconnect. @default {1000} */
  readonly heartbeatMs?: number;
  /** Longest time to resubscribe and verify every channel after a reconnect. @default {5000} */
  readonly resubscribeTimeoutMs?: number;
  /** Receives warnings and notable events. @default {warnings to the console} */
  readonly log?: (entry: RedisEngineLogEntry) => void;
  /** Receives what a listener threw; other listeners still run. @default {globalThis.reportError} */
  readonly onListenerError?: (error: unknown) => void;
}

const SYSTEM_CLOCK: EngineClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as number),
};
const DONE: Promise<void> = Promise.resolve();
/** Most topics whose last delivered offset is tracked for gap detection. */
const MAX_TRACKED = 100_000;
/** Most characters of one encoded presence entry. */
const MAX_ENTRY_LENGTH = 16_384;
/** Presence pairs per refresh script call. */
const REFRESH_BATCH = 256;

function defaultLog(entry: RedisEngineLogEntry): void {
  // deno-lint-ignore no-console
  if (entry.level === "warn") console.warn(`redis engine: ${entry.message}`);
}

interface LocalSubscription extends EngineSubscription {
  readonly listener: EngineListener;
  readonly name: string;
  /** The delivery sequence number current when it subscribed: later ones reach it. */
  readonly from: number;
}

/**
 * Creates the Redis engine and connects to every shard. Each publication is
 * one atomic Lua script (offset, stream append, epoch, PUBLISH); publish
 * resolves only after Redis confirmed it and rejects with `ENGINE_UNAVAILABLE`
 * within `commandTimeoutMs` when Redis does not answer. Warns through `log`
 * when a shard's `maxmemory-policy` can evict the engine's keys.
 *
 * @param options Where Redis is, history rules, bounds, clock and logger.
 * @returns The engine, connected and subscribed to its control channel.
 * @throws {TypeError} When an option has the wrong type.
 * @throws {RangeError} When a number is out of range.
 * @throws {EngineError} `ENGINE_UNAVAILABLE` when a shard cannot be reached in time (its URL is named, credentials redacted).
 *
 * @example Refuses to start without Redis, naming where it looked
 * ```ts
 * import { createRedisEngine } from "./redis_engine.ts";
 * import { EngineError } from "../errors.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(
 *   createRedisEngine({ url: "redis://user:secret@127.0.0.1:1", connectTimeoutMs: 500 }),
 *   (e) => e instanceof EngineError && e.retry && !e.message.includes("secret"),
 * );
 * ```
 *
 * @example Publish on one hub, receive on another (needs a running Redis)
 * ```ts ignore
 * import { createRedisEngine } from "./redis_engine.ts";
 *
 * const history = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];
 * await using a = await createRedisEngine({ url: "redis://127.0.0.1:6379", history });
 * await using b = await createRedisEngine({ url: "redis://127.0.0.1:6379", history });
 * await b.subscribe("chat:lobby", { onPublication: (d) => console.log(d.offset, d.publication.data) });
 * await a.publish("chat:lobby", { data: '"hi"', from: "alice", ts: Date.now() });
 * ```
 */
export async function createRedisEngine(options: RedisEngineOptions): Promise<Engine> {
  const engine = new RedisEngine(options, await loadScripts());
  await engine.start();
  return engine;
}

class RedisEngine implements Engine {
  #id = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  #prefix: string;
  #policy: HistoryPolicy;
  #clock: EngineClock;
  #log: (entry: RedisEngineLogEntry) => void;
  #onListenerError: (error: unknown) => void;
  #scripts: Scripts;
  #shards: Shard[];
  #shardOf: (topic: string) => number;
  #commandTimeoutMs: number;
  #unsubscribeDelayMs: number;
  #presenceTtlMs: number;
  #presenceRefreshMs: number;
  #heartbeatMs: number;
  #resubscribeTimeoutMs: number;
  #exact = new Map<string, Set<LocalSubscription>>();
  #patterns = new Map<string, Set<LocalSubscription>>();
  /** Redis glob -> the local patterns it stands for. */
  #globs = new Map<string, Set<string>>();
  /** Last delivered position per topic, for gap detection. */
  #last = new Map<string, { offset: number; epoch: string }>();
  #controls = new Set<(command: ControlCommand) => void>();
  /** This engine's presence entries, refreshed until removed: topic -> connection -> entry JSON. */
  #present = new Map<string, Map<string, string>>();
  #probes = new Map<string, () => void>();
  #sequence = 0;
  #probeCount = 0;
  #timers = new Set<unknown>();
  #refreshing = false;
  #started = false;
  #closed = false;

  constructor(options: RedisEngineOptions, scripts: Scripts) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Invalid Redis engine options: expected an object, got ${options}`);
    }
    const {
      url,
      urls,
      prefix = "rt",
      history = [],
      clock = SYSTEM_CLOCK,
      commandTimeoutMs = 2000,
      connectTimeoutMs = 2000,
      unsubscribeDelayMs = 1000,
      presenceTtlMs = 8000,
      presenceRefreshMs = 2000,
      heartbeatMs = 1000,
      resubscribeTimeoutMs = 5000,
      log = defaultLog,
      onListenerError = (error: unknown) => globalThis.reportError(error),
    } = options;
    const list = checkUrls(url, urls);
    if (typeof prefix !== "string" || !PREFIX_RE.test(prefix)) {
      throw new TypeError(
        `Invalid 'prefix': expected 1 to 32 of A-Z a-z 0-9 _ - ., got '${
          String(prefix).slice(0, 40)
        }'`,
      );
    }
    const numbers = {
      commandTimeoutMs,
      connectTimeoutMs,
      unsubscribeDelayMs,
      presenceTtlMs,
      presenceRefreshMs,
      heartbeatMs,
      resubscribeTimeoutMs,
    };
    for (const [name, value] of Object.entries(numbers)) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`Invalid '${name}': expected a positive integer, got ${value}`);
      }
    }
    if (presenceRefreshMs >= presenceTtlMs) {
      throw new RangeError(
        `Invalid 'presenceRefreshMs': must be below 'presenceTtlMs' (${presenceTtlMs}), got ${presenceRefreshMs}`,
      );
    }
    for (const [name, fn] of Object.entries({ log, onListenerError })) {
      if (typeof fn !== "function") throw new TypeError(`Invalid '${name}': expected a function`);
    }
    this.#prefix = prefix;
    this.#policy = compileHistoryPolicy(history);
    this.#clock = clock;
    this.#log = log;
    this.#onListenerError = onListenerError;
    this.#scripts = scripts;
    this.#commandTimeoutMs = commandTimeoutMs;
    this.#unsubscribeDelayMs = unsubscribeDelayMs;
    this.#presenceTtlMs = presenceTtlMs;
    this.#presenceRefreshMs = presenceRefreshMs;
    this.#heartbeatMs = heartbeatMs;
    this.#resubscribeTimeoutMs = resubscribeTimeoutMs;
    this.#shards = list.map((u, i) =>
      new Shard(i, {
        url: u,
        name: `${prefix}:${this.#id}`,
        commandTimeoutMs,
        connectTimeoutMs,
      })
    );
    this.#shardOf = shardRing(this.#shards.map((s) => s.identity));
  }

  /** Connects every shard, checks its memory policy and subscribes the engine's own channels. */
  async start(): Promise<void> {
    for (const shard of this.#shards) this.#watch(shard);
    try {
      await Promise.all(this.#shards.map(async (shard) => {
        try {
          await Promise.all([shard.command.connect(), shard.subscriber.connect()]);
        } catch (error) {
          throw new EngineError(
            "ENGINE_UNAVAILABLE",
            `Cannot reach Redis at ${shard.identity}: ${reasonOf(error)}`,
          );
        }
        await this.#checkMemoryPolicy(shard);
        await Promise.all(
          Object.values(this.#scripts).map((s) => shard.command.script("LOAD", s.source)),
        );
        await shard.subscriber.subscribe(...this.#ownChannels(shard));
        shard.up = true;
      }));
    } catch (error) {
      await this.#release();
      throw error instanceof EngineError ? error : new EngineError(
        "ENGINE_UNAVAILABLE",
        `Cannot start the Redis engine: ${reasonOf(error)}`,
      );
    }
    this.#started = true;
    this.#every(this.#presenceRefreshMs, () => this.#refreshPresence());
    this.#every(this.#heartbeatMs, () => this.#heartbeat());
  }

  async publish(
    topic: string,
    publication: EnginePublication,
  ): Promise<StreamPosition | undefined> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic) ?? publicationProblem(publication);
    if (problem !== undefined) throw new TypeError(problem);
    const encoded = encodePublication(publication);
    const rule = this.#policy(topic);
    const shard = this.#shards[this.#shardOf(topic)];
    const channel = topicChannel(this.#prefix, topic);
    if (rule === undefined) {
      await this.#confirm(
        shard,
        "publish",
        topic,
        shard.command.publish(channel, plainMessage(encoded)),
      );
      return undefined;
    }
    const keys = topicKeys(this.#prefix, topic);
    const reply = await this.#confirm(
      shard,
      "publish",
      topic,
      shard.run(this.#scripts.publish, [keys.meta, keys.stream], [
        channel,
        encoded,
        newEpoch(),
        rule.size,
        rule.ttlMs,
      ]),
    ) as [number, string];
    return { offset: Number(reply[0]), epoch: String(reply[1]) };
  }

  async subscribe(topicOrPattern: string, listener: EngineListener): Promise<EngineSubscription> {
    if (this.#closed) return closed();
    const problem = validatePattern(topicOrPattern);
    if (problem !== undefined) throw new TypeError(problem);
    if (typeof listener?.onPublication !== "function") {
      throw new TypeError("Invalid listener: 'onPublication' is not a function");
    }
    const pattern = isPattern(topicOrPattern);
    const index = pattern ? this.#patterns : this.#exact;
    let set = index.get(topicOrPattern);
    if (set === undefined) index.set(topicOrPattern, set = new Set());
    const subscriptions = set;
    let active = true;
    const subscription: LocalSubscription = {
      listener,
      name: topicOrPattern,
      from: this.#sequence,
      unsubscribe: () => {
        if (!active) return DONE;
        active = false;
        subscriptions.delete(subscription);
        if (subscriptions.size === 0 && index.get(topicOrPattern) === subscriptions) {
          index.delete(topicOrPattern);
          this.#released(topicOrPattern, pattern);
        }
        return DONE;
      },
    };
    set.add(subscription);
    try {
      if (pattern) {
        const glob = patternGlob(this.#prefix, topicOrPattern);
        let patterns = this.#globs.get(glob);
        if (patterns === undefined) this.#globs.set(glob, patterns = new Set());
        patterns.add(topicOrPattern);
        await Promise.all(
          this.#shards.map((shard) => this.#want(shard, glob, true, topicOrPattern)),
        );
      } else {
        const shard = this.#shards[this.#shardOf(topicOrPattern)];
        await this.#want(shard, topicChannel(this.#prefix, topicOrPattern), false, topicOrPattern);
      }
    } catch (error) {
      await subscription.unsubscribe();
      if (this.#closed) return closed();
      throw error;
    }
    return subscription;
  }

  async position(topic: string): Promise<StreamPosition> {
    const { shard, keys, rule } = this.#historyTarget(topic);
    const reply = await this.#confirm(
      shard,
      "position",
      topic,
      shard.run(this.#scripts.read, [keys.meta, keys.stream], [newEpoch(), rule.ttlMs, "pos"]),
    ) as [string, number];
    return { offset: Number(reply[1]), epoch: String(reply[0]) };
  }

  async history(topic: string, query: HistoryQuery): Promise<HistoryResult> {
    if (this.#closed) return closed();
    const problem = queryProblem(query);
    if (problem !== undefined) throw problem;
    const { shard, keys, rule } = this.#historyTarget(topic);
    const { since, limit, reverse = false } = query;
    const reply = await this.#confirm(
      shard,
      "history",
      topic,
      shard.run(this.#scripts.read, [keys.meta, keys.stream], [
        newEpoch(),
        rule.ttlMs,
        "hist",
        since === undefined ? "" : since.offset,
        since === undefined ? "" : since.epoch,
        limit,
        reverse ? "1" : "0",
      ]),
    ) as [string, number, number, unknown[]];
    return {
      publications: this.#entries(topic, reply[3]),
      position: { offset: Number(reply[1]), epoch: String(reply[0]) },
    };
  }

  async recover(topic: string, since: StreamPosition, maxRecover: number): Promise<Recovery> {
    if (this.#closed) return closed();
    const problem = positionProblem(since, "since") ??
      (Number.isSafeInteger(maxRecover) && maxRecover >= 0 ? undefined : new RangeError(
        `Invalid 'maxRecover': expected a non-negative integer, got ${maxRecover}`,
      ));
    if (problem !== undefined) throw problem;
    const { shard, keys, rule } = this.#historyTarget(topic);
    const reply = await this.#confirm(
      shard,
      "recover",
      topic,
      shard.run(this.#scripts.read, [keys.meta, keys.stream], [
        newEpoch(),
        rule.ttlMs,
        "rec",
        since.offset,
        since.epoch,
        maxRecover,
      ]),
    ) as [string, number, number, unknown[]];
    const held = this.#entries(topic, reply[3]);
    return decideRecovery(since, {
      epoch: String(reply[0]),
      offset: Number(reply[1]),
      oldest: Number(reply[2]),
      read: (from, count) => held.filter((e) => e.offset >= from && e.offset < from + count),
    }, maxRecover);
  }

  async presenceAdd(topic: string, entry: PresenceEntry): Promise<void> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic) ?? entryProblem(entry);
    if (problem !== undefined) throw new TypeError(problem);
    let encoded: string;
    try {
      encoded = encodeEntry(entry);
    } catch (error) {
      throw new TypeError(`Invalid presence entry: 'info' is not JSON: ${reasonOf(error)}`);
    }
    if (encoded.length > MAX_ENTRY_LENGTH) {
      throw new RangeError(
        `Invalid presence entry: at most ${MAX_ENTRY_LENGTH} characters as JSON, got ${encoded.length}`,
      );
    }
    await this.#presenceWrite(topic, [entry.connection, encoded]);
    if (this.#closed) return;
    let mine = this.#present.get(topic);
    if (mine === undefined) this.#present.set(topic, mine = new Map());
    mine.set(entry.connection, encoded);
  }

  async presenceRemove(topic: string, connection: string): Promise<void> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic) ??
      (typeof connection === "string" ? undefined : "Invalid 'connection': expected a string");
    if (problem !== undefined) throw new TypeError(problem);
    const mine = this.#present.get(topic);
    mine?.delete(connection);
    if (mine?.size === 0) this.#present.delete(topic);
    const shard = this.#shards[this.#shardOf(topic)];
    const keys = topicKeys(this.#prefix, topic);
    await this.#confirm(
      shard,
      "presenceRemove",
      topic,
      shard.run(this.#scripts.presenceRemove, [keys.presence, keys.presenceExpiry], [
        topicChannel(this.#prefix, topic),
        connection,
      ]),
    );
  }

  async presence(topic: string): Promise<readonly PresenceEntry[]> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic);
    if (problem !== undefined) throw new TypeError(problem);
    const shard = this.#shards[this.#shardOf(topic)];
    const keys = topicKeys(this.#prefix, topic);
    const values = await this.#confirm(
      shard,
      "presence",
      topic,
      shard.run(this.#scripts.presenceRead, [keys.presence, keys.presenceExpiry], [
        topicChannel(this.#prefix, topic),
      ]),
    ) as string[];
    const entries: PresenceEntry[] = [];
    for (const value of values) {
      const entry = decodeEntry(String(value));
      if (entry !== undefined) entries.push(entry);
    }
    return entries;
  }

  async presenceStats(topic: string): Promise<PresenceStats> {
    const entries = await this.presence(topic);
    return { connections: entries.length, users: new Set(entries.map((e) => e.user)).size };
  }

  async control(command: ControlCommand): Promise<void> {
    if (this.#closed) return closed();
    if (typeof command !== "object" || command === null || !isControlType(command.type)) {
      const type = typeof command === "object" && command !== null ? command.type : command;
      throw new TypeError(`Invalid control command: unknown type '${type}'`);
    }
    const shard = this.#shards[0];
    await this.#confirm(
      shard,
      "control",
      command.type,
      shard.command.publish(controlChannel(this.#prefix), encodeControl(this.#id, command)),
    );
    // This process's handlers get it now; its echo from Redis is skipped.
    this.#handleControl(command);
  }

  onControl(handler: (command: ControlCommand) => void): () => void {
    if (typeof handler !== "function") throw new TypeError("Invalid handler: expected a function");
    if (this.#closed) return () => {};
    this.#controls.add(handler);
    return () => void this.#controls.delete(handler);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A clean close takes this engine's presence entries away at once.
    const removals: Promise<unknown>[] = [];
    for (const [topic, mine] of this.#present) {
      const shard = this.#shards[this.#shardOf(topic)];
      const keys = topicKeys(this.#prefix, topic);
      for (const connection of mine.keys()) {
        removals.push(
          shard.run(this.#scripts.presenceRemove, [keys.presence, keys.presenceExpiry], [
            topicChannel(this.#prefix, topic),
            connection,
          ]),
        );
      }
    }
    this.#present.clear();
    await Promise.allSettled(removals);
    await this.#release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #release(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) this.#clock.clearTimer(timer);
    this.#timers.clear();
    for (const shard of this.#shards) {
      for (const timer of shard.lingers.values()) this.#clock.clearTimer(timer);
      shard.lingers.clear();
    }
    this.#exact.clear();
    this.#patterns.clear();
    this.#globs.clear();
    this.#last.clear();
    this.#controls.clear();
    this.#probes.clear();
    await Promise.all(this.#shards.map((shard) => shard.close()));
  }

  #historyTarget(topic: string) {
    if (this.#closed) throw new EngineError("ENGINE_CLOSED", "Engine is closed");
    const problem = validateTopic(topic);
    if (problem !== undefined) throw new TypeError(problem);
    const rule = this.#policy(topic);
    if (rule === undefined) {
      throw new EngineError("NO_HISTORY", `Topic '${topic}' keeps no history`);
    }
    return {
      shard: this.#shards[this.#shardOf(topic)],
      keys: topicKeys(this.#prefix, topic),
      rule,
    };
  }

  #entries(topic: string, raw: unknown[]): HistoryEntry[] {
    const entries: HistoryEntry[] = [];
    for (const item of raw) {
      const [id, fields] = item as [string, string[]];
      const publication = decodePublication(String(fields?.[1]));
      const offset = Number.parseInt(String(id), 10);
      if (publication === undefined || !Number.isSafeInteger(offset)) {
        this.#warn("bad_message", `Skipped an unreadable history entry of '${topic}'`);
        continue;
      }
      entries.push({ offset, publication });
    }
    return entries;
  }

  async #presenceWrite(topic: string, pairs: string[]): Promise<void> {
    const shard = this.#shards[this.#shardOf(topic)];
    const keys = topicKeys(this.#prefix, topic);
    await this.#confirm(
      shard,
      "presenceAdd",
      topic,
      shard.run(this.#scripts.presenceAdd, [keys.presence, keys.presenceExpiry], [
        topicChannel(this.#prefix, topic),
        this.#presenceTtlMs,
        ...pairs,
      ]),
    );
  }

  async #refreshPresence(): Promise<void> {
    if (this.#refreshing || this.#closed) return;
    this.#refreshing = true;
    try {
      const writes: Promise<void>[] = [];
      for (const [topic, mine] of this.#present) {
        const pairs = [...mine].flat();
        for (let i = 0; i < pairs.length; i += REFRESH_BATCH * 2) {
          // A failed refresh is retried next round; entries outlive a few.
          writes.push(
            this.#presenceWrite(topic, pairs.slice(i, i + REFRESH_BATCH * 2)).catch(() => {}),
          );
        }
      }
      await Promise.all(writes);
    } finally {
      this.#refreshing = false;
    }
  }

  /** Resolves with Redis's reply, or rejects with `ENGINE_UNAVAILABLE` naming what was not confirmed. */
  async #confirm<T>(shard: Shard, what: string, topic: string, reply: Promise<T>): Promise<T> {
    try {
      return await reply;
    } catch (error) {
      if (this.#closed) throw new EngineError("ENGINE_CLOSED", "Engine is closed");
      const failure = new EngineError(
        "ENGINE_UNAVAILABLE",
        `Redis at ${shard.identity} did not confirm '${what}' on '${topic}': ${reasonOf(error)}`,
      );
      (failure as { cause?: unknown }).cause = error;
      throw failure;
    }
  }

  // ---- subscriptions -------------------------------------------------------

  /** Makes sure a channel (or glob) is subscribed on a shard's subscriber connection. */
  async #want(shard: Shard, name: string, glob: boolean, subject: string): Promise<void> {
    const linger = shard.lingers.get(name);
    if (linger !== undefined) {
      this.#clock.clearTimer(linger);
      shard.lingers.delete(name);
    }
    if (shard.confirmed.has(name)) return;
    let pending = shard.pending.get(name);
    if (pending === undefined) {
      const sent = glob ? shard.subscriber.psubscribe(name) : shard.subscriber.subscribe(name);
      pending = sent.then(() => void shard.confirmed.add(name)).finally(() => {
        shard.pending.delete(name);
      });
      shard.pending.set(name, pending);
    }
    await this.#confirm(shard, "subscribe", subject, pending);
  }

  /** The last local subscriber of a topic or pattern left: unsubscribe shortly after. */
  #released(topicOrPattern: string, pattern: boolean): void {
    if (this.#closed) return;
    if (pattern) {
      const glob = patternGlob(this.#prefix, topicOrPattern);
      const patterns = this.#globs.get(glob);
      patterns?.delete(topicOrPattern);
      for (const topic of [...this.#last.keys()]) {
        if (matchPattern(topicOrPattern, topic)) this.#forget(topic);
      }
      if (patterns !== undefined && patterns.size > 0) return;
      for (const shard of this.#shards) {
        this.#linger(
          shard,
          glob,
          () => !this.#globs.has(glob) || this.#globs.get(glob)!.size === 0,
          () => {
            this.#globs.delete(glob);
            return shard.subscriber.punsubscribe(glob);
          },
        );
      }
      return;
    }
    this.#forget(topicOrPattern);
    const shard = this.#shards[this.#shardOf(topicOrPattern)];
    const channel = topicChannel(this.#prefix, topicOrPattern);
    this.#linger(
      shard,
      channel,
      () => !this.#exact.has(topicOrPattern),
      () => shard.subscriber.unsubscribe(channel),
    );
  }

  /**
   * Drops a topic's last delivered position once no local subscription
   * receives it any more: deliveries that nobody takes are not tracked, so a
   * later subscriber must start from a fresh baseline, not see a false gap.
   */
  #forget(topic: string): void {
    if (this.#exact.has(topic)) return;
    for (const pattern of this.#patterns.keys()) if (matchPattern(pattern, topic)) return;
    this.#last.delete(topic);
  }

  #linger(shard: Shard, name: string, idle: () => boolean, drop: () => Promise<unknown>): void {
    const previous = shard.lingers.get(name);
    if (previous !== undefined) this.#clock.clearTimer(previous);
    const timer = this.#clock.setTimer(() => {
      shard.lingers.delete(name);
      if (this.#closed || !idle()) return;
      shard.confirmed.delete(name);
      // Failure is harmless: a dropped connection loses its subscriptions anyway.
      drop().catch(() => {});
    }, this.#unsubscribeDelayMs);
    shard.lingers.set(name, timer);
  }

  /** The channels every shard's subscriber carries whatever the topics: probe, and control on shard 0. */
  #ownChannels(shard: Shard): string[] {
    const own = [probeChannel(this.#prefix, this.#id)];
    if (shard.index === 0) own.push(controlChannel(this.#prefix));
    return own;
  }

  #watch(shard: Shard): void {
    shard.subscriber.on("message", (channel: string, message: string) => {
      this.#onMessage(channel, message);
    });
    shard.subscriber.on("pmessage", (glob: string, channel: string, message: string) => {
      this.#onPatternMessage(glob, channel, message);
    });
    shard.subscriber.on("close", () => {
      if (!this.#started || this.#closed || !shard.up) return;
      shard.up = false;
      shard.confirmed.clear();
      this.#warn("subscriber_lost", `Lost the subscriber connection to Redis at ${shard.identity}`);
    });
    shard.subscriber.on("ready", () => {
      if (!this.#started || this.#closed || shard.up) return;
      void this.#restore(shard);
    });
    for (const redis of [shard.command, shard.subscriber]) {
      // Without a listener ioredis prints every connection error; state
      // changes are reported by the events above, so errors stay quiet.
      redis.on("error", () => {});
    }
  }

  /** After a reconnect: subscribe every wanted channel again, verify, then tell the affected subscriptions. */
  async #restore(shard: Shard): Promise<void> {
    const started = this.#clock.now();
    const channels = this.#ownChannels(shard);
    for (const topic of this.#exact.keys()) {
      if (this.#shardOf(topic) === shard.index) channels.push(topicChannel(this.#prefix, topic));
    }
    const globs = [...this.#globs.keys()];
    let timer: unknown;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = this.#clock.setTimer(
          () => reject(new Error(`not verified within ${this.#resubscribeTimeoutMs} ms`)),
          this.#resubscribeTimeoutMs,
        );
      });
      await Promise.race([
        deadline,
        (async () => {
          let count = Number(await shard.subscriber.subscribe(...channels));
          if (globs.length > 0) count = Number(await shard.subscriber.psubscribe(...globs));
          // Redis answers with the connection's subscription count: anything
          // less than asked for means a subscription silently failed.
          if (count < channels.length + globs.length) {
            throw new Error(
              `Redis confirmed ${count} of ${channels.length + globs.length} subscriptions`,
            );
          }
          if (!(await this.#probe(shard, this.#resubscribeTimeoutMs))) {
            throw new Error("a probe through the channel did not come back");
          }
        })(),
      ]);
    } catch (error) {
      if (this.#closed) return;
      this.#warn(
        "resubscribe_failed",
        `Could not restore subscriptions on Redis at ${shard.identity}: ${
          reasonOf(error)
        }; reconnecting`,
      );
      shard.subscriber.disconnect(true);
      return;
    } finally {
      this.#clock.clearTimer(timer);
    }
    if (this.#closed) return;
    for (const name of [...channels, ...globs]) shard.confirmed.add(name);
    shard.up = true;
    this.#log({
      level: "info",
      event: "resubscribed",
      message:
        `Resubscribed ${channels.length} channels and ${globs.length} patterns on Redis at ${shard.identity} in ${
          this.#clock.now() - started
        } ms`,
    });
    // Whatever was published while the connection was down was not delivered.
    for (const topic of [...this.#last.keys()]) {
      if (this.#shardOf(topic) === shard.index) this.#last.delete(topic);
    }
    const affected: LocalSubscription[] = [];
    for (const [topic, set] of this.#exact) {
      if (this.#shardOf(topic) === shard.index) affected.push(...set);
    }
    for (const set of this.#patterns.values()) affected.push(...set);
    for (const subscription of affected) {
      this.#callLost(subscription, { topic: subscription.name, reason: "reconnect" });
    }
  }

  /**
   * Sends a probe through Redis to this engine's subscriber on a shard:
   * `true` when it came back within `timeoutMs`, `false` otherwise. The
   * waiter is released either way.
   */
  #probe(shard: Shard, timeoutMs: number): Promise<boolean> {
    const id = `${shard.index}.${++this.#probeCount}`;
    return new Promise<boolean>((resolve) => {
      const done = (arrived: boolean) => {
        this.#clock.clearTimer(timer);
        this.#probes.delete(id);
        resolve(arrived);
      };
      const timer = this.#clock.setTimer(() => done(false), timeoutMs);
      this.#probes.set(id, () => done(true));
      shard.command.publish(probeChannel(this.#prefix, this.#id), id).catch(() => done(false));
    });
  }

  async #heartbeat(): Promise<void> {
    await Promise.all(this.#shards.map(async (shard) => {
      if (!shard.up || shard.command.status !== "ready") return;
      if (await this.#probe(shard, this.#commandTimeoutMs)) return;
      if (this.#closed || !shard.up) return;
      this.#warn(
        "heartbeat_missed",
        `A probe through Redis at ${shard.identity} did not come back within ${this.#commandTimeoutMs} ms; reconnecting the subscriber`,
      );
      shard.up = false;
      shard.confirmed.clear();
      shard.subscriber.disconnect(true);
    }));
  }

  #every(ms: number, task: () => Promise<void>): void {
    const arm = () => {
      const timer = this.#clock.setTimer(() => {
        this.#timers.delete(timer);
        if (this.#closed) return;
        task().finally(() => {
          if (!this.#closed) arm();
        });
      }, ms);
      this.#timers.add(timer);
    };
    arm();
  }

  // ---- delivery ------------------------------------------------------------

  #onMessage(channel: string, message: string): void {
    if (this.#closed) return;
    const topic = channelTopic(this.#prefix, channel);
    if (topic === undefined) {
      if (channel === controlChannel(this.#prefix)) this.#onControlMessage(message);
      else if (channel === probeChannel(this.#prefix, this.#id)) {
        const resolve = this.#probes.get(message);
        this.#probes.delete(message);
        resolve?.();
      }
      return;
    }
    const subscriptions = this.#exact.get(topic);
    if (subscriptions === undefined) return; // lingering channel
    const decoded = this.#decode(topic, message);
    if (decoded === undefined) return;
    const sequence = ++this.#sequence;
    this.#track(topic, decoded);
    for (const subscription of subscriptions) this.#call(subscription, sequence, topic, decoded);
  }

  #onPatternMessage(glob: string, channel: string, message: string): void {
    if (this.#closed) return;
    const patterns = this.#globs.get(glob);
    const topic = channelTopic(this.#prefix, channel);
    if (patterns === undefined || topic === undefined) return;
    let decoded: ChannelMessage | undefined;
    let sequence = 0;
    for (const pattern of patterns) {
      // Redis's glob is wider than the pattern: filter exactly here.
      if (!matchPattern(pattern, topic)) continue;
      const subscriptions = this.#patterns.get(pattern);
      if (subscriptions === undefined) continue;
      if (decoded === undefined) {
        decoded = this.#decode(topic, message);
        if (decoded === undefined) return;
        sequence = ++this.#sequence;
        this.#track(topic, decoded);
      }
      for (const subscription of subscriptions) this.#call(subscription, sequence, topic, decoded);
    }
  }

  #decode(topic: string, message: string): ChannelMessage | undefined {
    const decoded = decodeChannelMessage(message);
    if (decoded === undefined) {
      this.#warn("bad_message", `Ignored an unreadable message on topic '${topic}'`);
    }
    return decoded;
  }

  /** Gap detection: an offset jump or an epoch change tells every affected subscription. */
  #track(topic: string, message: ChannelMessage): void {
    if (message.kind !== "publication" || message.offset === undefined) return;
    const { offset, epoch } = message as { offset: number; epoch: string };
    const last = this.#last.get(topic);
    if (last === undefined) {
      if (this.#last.size >= MAX_TRACKED) this.#last.delete(this.#last.keys().next().value!);
      this.#last.set(topic, { offset, epoch });
      return;
    }
    // The same publication arrives twice when both a channel and a glob match it.
    if (last.epoch === epoch && offset <= last.offset) return;
    const reason = last.epoch !== epoch ? "epoch" : offset > last.offset + 1 ? "gap" : undefined;
    last.offset = offset;
    last.epoch = epoch;
    if (reason === undefined) return;
    const event: LostEvent = { topic, reason };
    for (const subscription of this.#exact.get(topic) ?? []) this.#callLost(subscription, event);
    for (const [pattern, set] of this.#patterns) {
      if (!matchPattern(pattern, topic)) continue;
      for (const subscription of set) this.#callLost(subscription, event);
    }
  }

  #call(
    subscription: LocalSubscription,
    sequence: number,
    topic: string,
    message: ChannelMessage,
  ): void {
    // A subscription made while this message is delivered does not receive it.
    if (subscription.from >= sequence) return;
    try {
      if (message.kind === "publication") {
        const { publication, offset, epoch } = message;
        subscription.listener.onPublication(
          offset === undefined ? { topic, publication } : { topic, publication, offset, epoch },
        );
      } else {
        subscription.listener.onPresence?.({ topic, type: message.kind, entry: message.entry });
      }
    } catch (error) {
      this.#onListenerError(error);
    }
  }

  #callLost(subscription: LocalSubscription, event: LostEvent): void {
    try {
      subscription.listener.onLost?.(event);
    } catch (error) {
      this.#onListenerError(error);
    }
  }

  #onControlMessage(message: string): void {
    const decoded = decodeControl(message);
    if (decoded === undefined) {
      this.#warn("bad_message", "Ignored an unreadable message on the control channel");
      return;
    }
    if (decoded.sender === this.#id) return;
    this.#handleControl(decoded.command);
  }

  #handleControl(command: ControlCommand): void {
    for (const handler of this.#controls) {
      try {
        handler(command);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  async #checkMemoryPolicy(shard: Shard): Promise<void> {
    let policy: string;
    try {
      const reply = await shard.command.config("GET", "maxmemory-policy") as string[];
      policy = String(reply[1]);
    } catch (error) {
      this.#warn(
        "unsafe_maxmemory_policy",
        `Could not read maxmemory-policy of Redis at ${shard.identity} (${
          reasonOf(error)
        }): make sure it is noeviction, or history may be evicted`,
      );
      return;
    }
    if (policy === "noeviction") return;
    this.#warn(
      "unsafe_maxmemory_policy",
      `Redis at ${shard.identity} has maxmemory-policy ${policy}: under memory pressure it can evict history and presence keys; use noeviction`,
    );
  }

  #warn(event: string, message: string): void {
    try {
      this.#log({ level: "warn", event, message });
    } catch (error) {
      this.#onListenerError(error);
    }
  }
}

function checkUrls(url: unknown, urls: unknown): string[] {
  if ((url === undefined) === (urls === undefined)) {
    throw new TypeError("Invalid Redis engine options: give exactly one of 'url' and 'urls'");
  }
  const list = url !== undefined ? [url] : urls;
  if (!Array.isArray(list) || list.length === 0 || list.length > 1024) {
    throw new TypeError("Invalid 'urls': expected 1 to 1024 Redis URLs");
  }
  for (const item of list) {
    if (typeof item !== "string" || !/^rediss?:\/\//.test(item)) {
      throw new TypeError(
        `Invalid Redis URL: expected redis:// or rediss://, got ${
          typeof item === "string" ? `'${item.split("://")[0]}://…'` : typeof item
        }`,
      );
    }
  }
  if (new Set(list).size !== list.length) throw new TypeError("Invalid 'urls': a URL is repeated");
  return list as string[];
}

function newEpoch(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\.$/, "");
}

function closed(): Promise<never> {
  return Promise.reject(new EngineError("ENGINE_CLOSED", "Engine is closed"));
}
