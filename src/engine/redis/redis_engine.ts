/**
 * The Redis engine: the engine contract over one or several Redis instances,
 * so many hub processes share topics, history, presence and commands. See
 * `docs/scaling.md` for every key, channel, bound and the capacity model.
 *
 * @module
 */

import { matchPattern } from "../../topic/pattern.ts";
import { isPattern, validatePattern, validateTopic } from "../../topic/topic.ts";
import type {
  ControlCommand,
  Engine,
  EngineListener,
  EnginePublication,
  EnginePublishOptions,
  EngineSubscription,
  HistoryEntry,
  HistoryQuery,
  HistoryResult,
  PresenceEntry,
  PresenceStats,
  Recovery,
  StreamPosition,
} from "../engine.ts";
import { EngineError } from "../errors.ts";
import { decideRecovery } from "../recovery.ts";
import {
  controlProblem,
  entryProblem,
  positionProblem,
  publicationProblem,
  publishOptionsProblem,
  queryProblem,
} from "../_validate.ts";
import {
  decodeChannelMessage,
  decodeControl,
  decodeEntry,
  decodePublication,
  encodeControl,
  encodeEntry,
  encodePublication,
  plainMessage,
} from "./_codec.ts";
import { GapTracker } from "./_gap_tracker.ts";
import { LocalSubscriptions } from "./_local_subscriptions.ts";
import { checkNewStreamGrant } from "./_new_stream_quota.ts";
import { checkPublicationSize } from "./_publication_size.ts";
import {
  channelTopic,
  controlChannel,
  disconnectKeys,
  idempotencyKeys,
  newStreamsKey,
  nodeKeys,
  patternGlob,
  replayKey,
  revocationKeys,
  rulesKey,
  topicChannel,
  topicKeys,
} from "./_names.ts";
import { OwnPresence } from "./_own_presence.ts";
import { type ResolvedOptions, resolveOptions } from "./_resolve_options.ts";
import { loadScripts, type Scripts } from "./_scripts.ts";
import { Shard } from "./_shard.ts";
import { shardRing } from "./_shard_ring.ts";
import { Subscriber } from "./_subscriber.ts";
import { loadTimelineScripts, type TimelineScripts } from "./_timeline.ts";
import type { RedisEngineHealth, RedisEngineOptions } from "./options.ts";

export type {
  RedisClusterOptions,
  RedisEngineHealth,
  RedisEngineLogEntry,
  RedisEngineOptions,
  RedisSentinelOptions,
  RedisShardHealth,
} from "./options.ts";

/**
 * An {@linkcode Engine} over Redis, which can also say whether its
 * connections are up (for a readiness endpoint such as `/healthz`).
 *
 * @example Report readiness
 * ```ts
 * import type { RedisEngine } from "./redis_engine.ts";
 *
 * const ready = (engine: RedisEngine) => engine.health().ok;
 * ```
 */
export interface RedisEngine extends Engine {
  /** The state of every shard's connections, now; never throws, also after `close()`. */
  health(): RedisEngineHealth;
}

/** Most topics whose last delivered offset is tracked for gap detection. */
const MAX_TRACKED = 100_000;
/** Most characters of one encoded presence entry. */
const MAX_ENTRY_LENGTH = 16_384;
/** Presence entries per refresh script call. */
const REFRESH_BATCH = 256;
/** A stored revocation's keep time when it has no `keepMs`: kept for good. */
const NEVER_MS = 8_000_000_000_000_000;
/** Pause before reading the stored revocations again after a failure. */
const RECONCILE_RETRY_MS = 1000;

/** The stored revocation's hash field: the user and the session, as JSON. */
function revocationMember(user: string, session: string | undefined): string {
  return JSON.stringify([user, session ?? null]);
}

/** A stored revocation as a `revoke` command, or `undefined` when it is unreadable. */
function revocationCommand(member: string, at: number): ControlCommand | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(member);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== "string" || !Number.isFinite(at)) {
    return undefined;
  }
  const [user, session] = parsed;
  return typeof session === "string"
    ? { type: "revoke", user, at, session }
    : { type: "revoke", user, at };
}

/** A stored disconnect as a `disconnect_user` command, or `undefined` when it is unreadable. */
function disconnectCommand(member: string, at: number): ControlCommand | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(member);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== "string" || !Number.isFinite(at)) {
    return undefined;
  }
  return { type: "disconnect_user", user: parsed[0], reason: "Disconnected by an operator", at };
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
export async function createRedisEngine(options: RedisEngineOptions): Promise<RedisEngine> {
  const resolved = resolveOptions(options);
  const scripts = await loadScripts();
  // Where a failover can change the master, or replicas are waited for,
  // publish and read follow the master's replication ID (see _timeline.ts).
  const timeline = resolved.failover || resolved.minReplicaAcks > 0
    ? await loadTimelineScripts(scripts)
    : undefined;
  const engine = new ConnectedRedisEngine(resolved, scripts, timeline);
  await engine.start();
  return engine;
}

class ConnectedRedisEngine implements RedisEngine {
  #id = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  #options: ResolvedOptions;
  #scripts: Scripts;
  #timeline: TimelineScripts | undefined;
  #shards: Shard[];
  #shardOf: (topic: string) => number;
  #subscriber: Subscriber;
  #local: LocalSubscriptions;
  #gaps = new GapTracker(MAX_TRACKED);
  #present = new OwnPresence();
  #controls = new Set<(command: ControlCommand) => void>();
  #timers = new Set<unknown>();
  /** New-stream charges in flight, by topic and user. */
  #granting = new Map<string, Promise<void>>();
  /** Publications Redis ran that wait for their replicas: close() lets them finish. */
  #acking = new Set<Promise<unknown>>();
  #refreshing = false;
  #reconciling = false;
  #closed = false;

  constructor(options: ResolvedOptions, scripts: Scripts, timeline: TimelineScripts | undefined) {
    const { prefix, commandTimeoutMs, connectTimeoutMs } = options;
    this.#options = options;
    this.#scripts = scripts;
    this.#timeline = timeline;
    this.#local = new LocalSubscriptions(prefix, options.onListenerError);
    this.#shards = options.shards.map((shard, i) =>
      new Shard(i, { shard, name: `${prefix}:${this.#id}`, commandTimeoutMs, connectTimeoutMs })
    );
    this.#shardOf = shardRing(this.#shards.map((s) => s.ringKey));
    this.#subscriber = new Subscriber(this.#shards, { ...options, engineId: this.#id }, {
      wanted: (shard) => this.#wanted(shard),
      restored: (shard) => this.#restored(shard),
      message: (channel, message) => this.#onMessage(channel, message),
      patternMessage: (glob, channel, message) => this.#onPatternMessage(glob, channel, message),
      log: (level, event, message) => this.#log(level, event, message),
    });
  }

  /** Connects every shard, checks its memory policy, loads the scripts and subscribes the engine's own channels. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.#shards.map(async (shard) => {
        try {
          await shard.connect();
        } catch (error) {
          throw new EngineError(
            "ENGINE_UNAVAILABLE",
            `Cannot reach Redis at ${shard.identity}: ${reasonOf(error)}`,
          );
        }
        await this.#checkMemoryPolicy(shard);
        await this.#checkReplicas(shard);
        await shard.loadScripts([
          ...Object.values(this.#scripts),
          ...Object.values(this.#timeline ?? {}),
        ]);
        await this.#subscriber.start(shard);
      }));
    } catch (error) {
      await this.#release();
      throw error instanceof EngineError ? error : new EngineError(
        "ENGINE_UNAVAILABLE",
        `Cannot start the Redis engine: ${reasonOf(error)}`,
      );
    }
    this.#subscriber.activate();
    this.#every(this.#options.presenceRefreshMs, () => this.#refreshPresence());
    this.#every(this.#options.heartbeatMs, () => this.#subscriber.heartbeat());
    // While the control channel's subscriber is down but commands still
    // work (Redis dropped only the subscriber), what it misses is read from
    // the store every second: a revocation reaches this hub within about
    // a second, not once the subscriber is back.
    this.#every(RECONCILE_RETRY_MS, () => {
      const control = this.#shards[0];
      if (!control.up && control.commandsReady) this.#reconcile();
      return Promise.resolve();
    });
  }

  async publish(
    topic: string,
    publication: EnginePublication,
    options?: EnginePublishOptions,
  ): Promise<StreamPosition | undefined> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic) ?? publicationProblem(publication) ??
      publishOptionsProblem(options);
    if (problem !== undefined) throw new TypeError(problem);
    const encoded = encodePublication(publication);
    checkPublicationSize(topic, encoded, this.#options.maxPublicationBytes);
    const rule = this.#options.policy(topic);
    const shard = this.#shardFor(topic);
    const channel = topicChannel(this.#options.prefix, topic);
    const { from } = publication;
    const idem = idempotencyKeys(this.#options.prefix, topic, from);
    if (rule === undefined) {
      const key = options?.idempotencyKey;
      const sent = key === undefined
        ? shard.command.publish(channel, plainMessage(encoded))
        : shard.run(this.#scripts.publishOnce, [idem.positions, idem.expiry], [
          channel,
          plainMessage(encoded),
          key,
          this.#options.idempotencyWindowMs,
          this.#options.maxIdempotencyKeys,
        ]);
      const published = await this.#confirm(shard, "publish", topic, sent);
      if (key !== undefined && published === 0) options!.onRepeat?.();
      return undefined;
    }
    const keys = topicKeys(this.#options.prefix, topic);
    const scriptKeys = [keys.meta, keys.stream, idem.positions, idem.expiry];
    // A user's publication may not create a stream until their quota allowed it.
    const args = [
      channel,
      encoded,
      newEpoch(),
      rule.size,
      rule.ttlMs,
      this.#options.maxStreamBytes,
    ];
    const script = this.#timeline?.publish ?? this.#scripts.publish;
    const acks = this.#options.minReplicaAcks;
    const run = (mayCreate: boolean) => {
      const argv = [
        ...args,
        mayCreate ? "1" : "0",
        options?.idempotencyKey ?? "",
        this.#options.idempotencyWindowMs,
        this.#options.maxIdempotencyKeys,
      ];
      let sent: Promise<unknown>;
      if (acks > 0) {
        // Acknowledged once a replica holds it; close() lets these finish.
        const acking = shard.runAcked(script, scriptKeys, argv, acks);
        this.#acking.add(acking);
        const done = () => void this.#acking.delete(acking);
        acking.then(done, done);
        sent = acking;
      } else {
        sent = shard.run(script, scriptKeys, argv);
      }
      return this.#confirm(shard, "publish", topic, sent);
    };
    // Behind a charge of this user's still in flight on this topic, so their
    // publications keep their order even if someone else starts the stream meanwhile.
    const charging = from !== null && this.#granting.size > 0
      ? this.#granting.get(grantId(topic, from))
      : undefined;
    if (charging !== undefined) await charging.catch(() => {});
    let reply = await run(from === null);
    if (!Array.isArray(reply)) {
      await this.#grantNewStream(from!, topic);
      reply = await run(true);
    }
    const [offset, epoch, repeat] = reply as [number, string, unknown];
    if (repeat === "r") options!.onRepeat?.();
    return { offset: Number(offset), epoch: String(epoch) };
  }

  /**
   * Charges one new history stream to a user's quota, shared by every hub;
   * rejects with `QUOTA_EXCEEDED` past it. Publications of one user racing
   * to create the same stream share one charge, and continue in the order
   * they were called.
   */
  #grantNewStream(user: string, topic: string): Promise<void> {
    const id = grantId(topic, user);
    const pending = this.#granting.get(id);
    if (pending !== undefined) return pending;
    const { prefix, maxNewStreamsPerUser, newStreamsWindowMs } = this.#options;
    const key = newStreamsKey(prefix, user);
    const shard = this.#shardFor(key);
    const sent = shard.run(this.#scripts.newStream, [key], [
      maxNewStreamsPerUser,
      newStreamsWindowMs,
    ]);
    const granted = this.#confirm(shard, "publish", topic, sent)
      .then((reply) => checkNewStreamGrant(reply, topic, this.#options))
      .finally(() => this.#granting.delete(id));
    this.#granting.set(id, granted);
    return granted;
  }

  async subscribe(topicOrPattern: string, listener: EngineListener): Promise<EngineSubscription> {
    if (this.#closed) return closed();
    const problem = validatePattern(topicOrPattern);
    if (problem !== undefined) throw new TypeError(problem);
    if (typeof listener?.onPublication !== "function") {
      throw new TypeError("Invalid listener: 'onPublication' is not a function");
    }
    const subscription = this.#local.add(
      topicOrPattern,
      listener,
      (name, glob) => this.#released(name, glob),
    );
    try {
      const { prefix } = this.#options;
      await Promise.all(
        isPattern(topicOrPattern)
          ? this.#shards.map((shard) =>
            this.#want(shard, patternGlob(prefix, topicOrPattern), true)
          )
          : [
            this.#want(this.#shardFor(topicOrPattern), topicChannel(prefix, topicOrPattern), false),
          ],
      );
    } catch (error) {
      await subscription.unsubscribe();
      if (this.#closed) return closed();
      throw error;
    }
    return subscription;
  }

  async position(topic: string): Promise<StreamPosition> {
    const [epoch, offset] = await this.#read(topic, "position", ["pos"]) as [string, number];
    return { offset: Number(offset), epoch: String(epoch) };
  }

  async history(topic: string, query: HistoryQuery): Promise<HistoryResult> {
    if (this.#closed) return closed();
    const problem = queryProblem(query);
    if (problem !== undefined) throw problem;
    const { since, limit, reverse = false } = query;
    const [epoch, offset, , raw] = await this.#read(topic, "history", [
      "hist",
      since === undefined ? "" : since.offset,
      since === undefined ? "" : since.epoch,
      limit,
      reverse ? "1" : "0",
    ]) as [string, number, number, unknown[]];
    return {
      publications: this.#entries(topic, raw),
      position: { offset: Number(offset), epoch: String(epoch) },
    };
  }

  async recover(topic: string, since: StreamPosition, maxRecover: number): Promise<Recovery> {
    if (this.#closed) return closed();
    const problem = positionProblem(since, "since") ??
      (Number.isSafeInteger(maxRecover) && maxRecover >= 0 ? undefined : new RangeError(
        `Invalid 'maxRecover': expected a non-negative integer, got ${maxRecover}`,
      ));
    if (problem !== undefined) throw problem;
    const [epoch, offset, oldest, raw] = await this.#read(topic, "recover", [
      "rec",
      since.offset,
      since.epoch,
      maxRecover,
    ]) as [string, number, number, unknown[]];
    const held = this.#entries(topic, raw);
    return decideRecovery(since, {
      epoch: String(epoch),
      offset: Number(offset),
      oldest: Number(oldest),
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
    if (!this.#closed) this.#present.set(topic, entry.connection, encoded);
  }

  async presenceRemove(topic: string, connection: string): Promise<void> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic) ??
      (typeof connection === "string" ? undefined : "Invalid 'connection': expected a string");
    if (problem !== undefined) throw new TypeError(problem);
    this.#present.delete(topic, connection);
    const shard = this.#shardFor(topic);
    await this.#confirm(shard, "presenceRemove", topic, this.#removeEntry(topic, connection));
  }

  async presence(topic: string): Promise<readonly PresenceEntry[]> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic);
    if (problem !== undefined) throw new TypeError(problem);
    const shard = this.#shardFor(topic);
    const keys = topicKeys(this.#options.prefix, topic);
    const channel = topicChannel(this.#options.prefix, topic);
    const sent = shard.run(this.#scripts.presenceRead, [keys.presence, keys.presenceExpiry], [
      channel,
    ]);
    const values = await this.#confirm(shard, "presence", topic, sent) as string[];
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
    const problem = controlProblem(command);
    if (problem !== undefined) throw new TypeError(problem);
    const shard = this.#shards[0];
    const channel = controlChannel(this.#options.prefix);
    const message = encodeControl(this.#id, command);
    let sent: Promise<unknown>;
    if (command.type === "revoke") {
      // Stored with the send, so a hub cut off now reads it on reconnect.
      const keys = revocationKeys(this.#options.prefix);
      const keepMs = command.keepMs ?? Infinity;
      const until = Number.isFinite(keepMs) ? command.at + keepMs : NEVER_MS;
      sent = shard.run(this.#scripts.revoke, [keys.cutOffs, keys.expiry], [
        this.#options.clock.now(),
        channel,
        message,
        revocationMember(command.user, command.session),
        command.at,
        Math.min(until, NEVER_MS),
      ]);
    } else if (
      command.type === "disconnect_user" && command.at !== undefined &&
      command.keepMs !== undefined
    ) {
      // Kept for its keepMs with the send (the revocations' script): a hub
      // cut off now closes the user's connections of before `at` on reconnect.
      const keys = disconnectKeys(this.#options.prefix);
      sent = shard.run(this.#scripts.revoke, [keys.cutOffs, keys.expiry], [
        this.#options.clock.now(),
        channel,
        message,
        JSON.stringify([command.user]),
        command.at,
        Math.min(command.at + command.keepMs, NEVER_MS),
      ]);
    } else if (command.type === "update_rules" && command.version !== undefined) {
      // Kept with the send: a hub cut off now reads the latest rules on reconnect.
      sent = shard.run(this.#scripts.rulesSet, [rulesKey(this.#options.prefix)], [
        channel,
        message,
        command.version,
      ]);
    } else {
      sent = shard.command.publish(channel, message);
    }
    await this.#confirm(shard, "control", command.type, sent);
    // This process's handlers get it now; its echo from Redis is skipped.
    this.#handleControl(command);
  }

  async announce(id: string, info: string, ttlMs: number): Promise<void> {
    if (this.#closed) return closed();
    const shard = this.#shards[0];
    const keys = nodeKeys(this.#options.prefix);
    const sent = shard.run(this.#scripts.nodeAnnounce, [keys.info, keys.expiry], [
      id,
      info,
      Math.max(1, Math.ceil(ttlMs)),
    ]);
    await this.#confirm(shard, "announce", id, sent);
  }

  async withdraw(id: string): Promise<void> {
    if (this.#closed) return closed();
    const shard = this.#shards[0];
    const keys = nodeKeys(this.#options.prefix);
    const sent = Promise.all([
      shard.command.hdel(keys.info, id),
      shard.command.zrem(keys.expiry, id),
    ]);
    await this.#confirm(shard, "withdraw", id, sent);
  }

  async nodes(): Promise<readonly string[]> {
    if (this.#closed) return closed();
    const shard = this.#shards[0];
    const keys = nodeKeys(this.#options.prefix);
    const sent = shard.run(this.#scripts.nodesRead, [keys.info, keys.expiry], []);
    const reply = await this.#confirm(shard, "nodes", "", sent);
    return Array.isArray(reply) ? reply.map(String) : [];
  }

  async claimOnce(topic: string, id: string, ttlMs: number): Promise<boolean> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic) ??
      (typeof id === "string" && id !== "" && id.length <= 256
        ? undefined
        : "Invalid 'id': expected 1 to 256 characters");
    if (problem !== undefined) throw new TypeError(problem);
    const shard = this.#shardFor(topic);
    const key = replayKey(this.#options.prefix, topic, id);
    const ms = Math.max(1, Math.ceil(ttlMs));
    const sent = shard.command.set(key, "1", "PX", ms, "NX");
    return await this.#confirm(shard, "claimOnce", topic, sent) === "OK";
  }

  health(): RedisEngineHealth {
    const shards = this.#shards.map((shard) => ({
      url: shard.identity,
      commands: !this.#closed && shard.commandsReady,
      subscriber: !this.#closed && shard.up,
    }));
    return { ok: shards.every((s) => s.commands && s.subscriber), shards };
  }

  onControl(handler: (command: ControlCommand) => void): () => void {
    if (typeof handler !== "function") throw new TypeError("Invalid handler: expected a function");
    if (this.#closed) return () => {};
    this.#controls.add(handler);
    // A process that starts after a revocation applies it too.
    this.#reconcile();
    return () => void this.#controls.delete(handler);
  }

  /**
   * Hands every stored revocation to the control handlers again, as `revoke`
   * commands with the time each was made, and the latest rules as an
   * `update_rules` command with their version; retried every second until
   * Redis answers. Run when a handler is set and after the control channel's
   * subscriber reconnected: what was sent while it was down is applied now.
   */
  #reconcile(): void {
    if (this.#closed || this.#reconciling) return;
    this.#reconciling = true;
    const shard = this.#shards[0];
    const keys = revocationKeys(this.#options.prefix);
    const disconnects = disconnectKeys(this.#options.prefix);
    const read = Promise.all([
      shard.run(this.#scripts.revocationsRead, [keys.cutOffs, keys.expiry], [
        this.#options.clock.now(),
      ]),
      shard.command.hget(rulesKey(this.#options.prefix), "c"),
      shard.run(this.#scripts.revocationsRead, [disconnects.cutOffs, disconnects.expiry], [
        this.#options.clock.now(),
      ]),
    ]);
    read.then(([reply, rules, closes]) => {
      this.#reconciling = false;
      if (this.#closed) return;
      const flat = Array.isArray(reply) ? reply.map(String) : [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const command = revocationCommand(flat[i], Number(flat[i + 1]));
        if (command !== undefined) this.#handleControl(command);
      }
      const pairs = Array.isArray(closes) ? closes.map(String) : [];
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const command = disconnectCommand(pairs[i], Number(pairs[i + 1]));
        if (command !== undefined) this.#handleControl(command);
      }
      // The latest rules, with their version: a hub applies a version once.
      const stored = typeof rules === "string" ? decodeControl(rules) : undefined;
      if (stored?.command.type === "update_rules") this.#handleControl(stored.command);
    }, (error) => {
      this.#reconciling = false;
      if (this.#closed) return;
      this.#log(
        "warn",
        "reconcile_failed",
        `Could not read the revocations from Redis at ${shard.identity}: ${
          reasonOf(error)
        }; retrying in ${RECONCILE_RETRY_MS} ms`,
      );
      const timer = this.#options.clock.setTimer(() => {
        this.#timers.delete(timer);
        this.#reconcile();
      }, RECONCILE_RETRY_MS);
      this.#timers.add(timer);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A clean close takes this engine's presence entries away at once.
    const removals = [...this.#present.connections()].map(([topic, connection]) =>
      this.#removeEntry(topic, connection)
    );
    this.#present.clear();
    // Subscribers may have seen a publication still waiting for its replicas:
    // its publisher gets the answer, not a closed engine.
    await Promise.allSettled([...removals, ...this.#acking]);
    await this.#release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #release(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) this.#options.clock.clearTimer(timer);
    this.#timers.clear();
    this.#subscriber.close();
    this.#local.clear();
    this.#gaps.clear();
    this.#controls.clear();
    await Promise.all(this.#shards.map((shard) => shard.close()));
  }

  #shardFor(topic: string): Shard {
    return this.#shards[this.#shardOf(topic)];
  }

  /** Runs the read script on a topic that keeps history. */
  #read(topic: string, what: string, args: (string | number)[]): Promise<unknown> {
    if (this.#closed) return closed();
    const problem = validateTopic(topic);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    const rule = this.#options.policy(topic);
    if (rule === undefined) {
      return Promise.reject(new EngineError("NO_HISTORY", `Topic '${topic}' keeps no history`));
    }
    const shard = this.#shardFor(topic);
    const keys = topicKeys(this.#options.prefix, topic);
    const script = this.#timeline?.read ?? this.#scripts.read;
    const sent = shard.run(script, [keys.meta, keys.stream], [
      newEpoch(),
      rule.ttlMs,
      ...args,
    ]);
    return this.#confirm(shard, what, topic, sent);
  }

  #entries(topic: string, raw: unknown[]): HistoryEntry[] {
    const entries: HistoryEntry[] = [];
    for (const item of raw) {
      const [id, fields] = item as [string, string[]];
      const publication = decodePublication(String(fields?.[1]));
      const offset = Number.parseInt(String(id), 10);
      if (publication === undefined || !Number.isSafeInteger(offset)) {
        this.#log("warn", "bad_message", `Skipped an unreadable history entry of '${topic}'`);
        continue;
      }
      entries.push({ offset, publication });
    }
    return entries;
  }

  #presenceWrite(topic: string, pairs: string[]): Promise<unknown> {
    const shard = this.#shardFor(topic);
    const keys = topicKeys(this.#options.prefix, topic);
    const sent = shard.run(this.#scripts.presenceAdd, [keys.presence, keys.presenceExpiry], [
      topicChannel(this.#options.prefix, topic),
      this.#options.presenceTtlMs,
      ...pairs,
    ]);
    return this.#confirm(shard, "presenceAdd", topic, sent);
  }

  #removeEntry(topic: string, connection: string): Promise<unknown> {
    const keys = topicKeys(this.#options.prefix, topic);
    return this.#shardFor(topic).run(
      this.#scripts.presenceRemove,
      [keys.presence, keys.presenceExpiry],
      [topicChannel(this.#options.prefix, topic), connection],
    );
  }

  async #refreshPresence(): Promise<void> {
    if (this.#refreshing || this.#closed) return;
    this.#refreshing = true;
    try {
      const writes: Promise<unknown>[] = [];
      for (const [topic, pairs] of this.#present.batches(REFRESH_BATCH)) {
        // A failed refresh is retried next round; entries outlive a few.
        writes.push(this.#presenceWrite(topic, pairs).catch(() => {}));
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

  /** The last local subscriber of a topic or pattern left: stop tracking it, unsubscribe shortly after. */
  #released(name: string, glob: string | undefined): void {
    if (this.#closed) return;
    // Deliveries nobody takes are not tracked: a later subscriber starts from
    // a fresh baseline instead of seeing a false gap.
    if (!isPattern(name)) {
      if (!this.#local.receives(name)) this.#gaps.forget(name);
      const channel = topicChannel(this.#options.prefix, name);
      const idle = () => !this.#local.hasTopic(name);
      this.#subscriber.release(this.#shardFor(name), channel, false, idle);
      return;
    }
    for (const topic of this.#gaps.topics()) {
      if (matchPattern(name, topic) && !this.#local.receives(topic)) this.#gaps.forget(topic);
    }
    if (glob === undefined) return; // another pattern still uses the glob
    for (const shard of this.#shards) {
      this.#subscriber.release(shard, glob, true, () => !this.#local.hasGlob(glob));
    }
  }

  #want(shard: Shard, name: string, glob: boolean): Promise<void> {
    return this.#confirm(shard, "subscribe", name, this.#subscriber.want(shard, name, glob));
  }

  #wanted(shard: Shard): { channels: string[]; globs: string[] } {
    const channels: string[] = [];
    for (const topic of this.#local.topics()) {
      if (this.#shardOf(topic) === shard.index) {
        channels.push(topicChannel(this.#options.prefix, topic));
      }
    }
    return { channels, globs: this.#local.globs() };
  }

  /** Whatever was published while the shard's subscriber was down was not delivered: tell the subscriptions. */
  #restored(shard: Shard): void {
    const onShard = (topic: string) => this.#shardOf(topic) === shard.index;
    for (const topic of this.#gaps.topics()) if (onShard(topic)) this.#gaps.forget(topic);
    this.#local.lostReconnect(onShard);
    // Control commands sent while the control channel was down were missed.
    if (shard.index === 0) this.#reconcile();
  }

  #every(ms: number, task: () => Promise<void>): void {
    const { clock } = this.#options;
    const arm = () => {
      const timer = clock.setTimer(() => {
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

  #onMessage(channel: string, message: string): void {
    if (this.#closed) return;
    const topic = channelTopic(this.#options.prefix, channel);
    if (topic === undefined) {
      if (channel === controlChannel(this.#options.prefix)) this.#onControlMessage(message);
      return;
    }
    if (!this.#local.hasTopic(topic)) return; // a lingering channel
    const decoded = this.#decode(topic, message);
    if (decoded === undefined) return;
    this.#local.deliverExact(topic, decoded);
  }

  #onPatternMessage(glob: string, channel: string, message: string): void {
    if (this.#closed) return;
    const topic = channelTopic(this.#options.prefix, channel);
    if (topic === undefined || !this.#local.wantsFromGlob(glob, topic)) return;
    const decoded = this.#decode(topic, message);
    if (decoded !== undefined) this.#local.deliverGlob(glob, topic, decoded);
  }

  /** Decodes a topic message and runs gap detection on it before it is delivered. */
  #decode(topic: string, message: string) {
    const decoded = decodeChannelMessage(message);
    if (decoded === undefined) {
      this.#log("warn", "bad_message", `Ignored an unreadable message on topic '${topic}'`);
      return undefined;
    }
    if (decoded.kind === "publication" && decoded.offset !== undefined) {
      const reason = this.#gaps.observe(topic, decoded.offset, decoded.epoch!);
      if (reason !== undefined) this.#local.lostTopic({ topic, reason });
    }
    return decoded;
  }

  #onControlMessage(message: string): void {
    const decoded = decodeControl(message);
    if (decoded === undefined) {
      this.#log("warn", "bad_message", "Ignored an unreadable message on the control channel");
      return;
    }
    if (decoded.sender !== this.#id) this.#handleControl(decoded.command);
  }

  #handleControl(command: ControlCommand): void {
    for (const handler of this.#controls) {
      try {
        handler(command);
      } catch (error) {
        this.#options.onListenerError(error);
      }
    }
  }

  /** Warns when a master has fewer replicas online than publications wait for. */
  async #checkReplicas(shard: Shard): Promise<void> {
    const wanted = this.#options.minReplicaAcks;
    if (wanted === 0) return;
    let online: number;
    try {
      online = await shard.replicasOnline();
    } catch (error) {
      this.#log(
        "warn",
        "replicas_missing",
        `Could not count the replicas of Redis at ${shard.identity}: ${reasonOf(error)}`,
      );
      return;
    }
    if (online >= wanted) return;
    this.#log(
      "warn",
      "replicas_missing",
      `Redis at ${shard.identity} has ${online} replicas online where publications wait for ${wanted} (minReplicaAcks): until more are online, a failover can lose acknowledged publications`,
    );
  }

  async #checkMemoryPolicy(shard: Shard): Promise<void> {
    let policy: string;
    try {
      policy = await shard.memoryPolicy();
    } catch (error) {
      this.#log(
        "warn",
        "unsafe_maxmemory_policy",
        `Could not read maxmemory-policy of Redis at ${shard.identity} (${
          reasonOf(error)
        }): make sure it is noeviction, or history may be evicted`,
      );
      return;
    }
    if (policy === "noeviction") return;
    this.#log(
      "warn",
      "unsafe_maxmemory_policy",
      `Redis at ${shard.identity} has maxmemory-policy ${policy}: under memory pressure it can evict history and presence keys; use noeviction`,
    );
  }

  #log(level: "info" | "warn", event: string, message: string): void {
    try {
      this.#options.log({ level, event, message });
    } catch (error) {
      this.#options.onListenerError(error);
    }
  }
}

/** The key of a new-stream charge in flight: a topic never holds a NUL. */
function grantId(topic: string, user: string): string {
  return `${topic}\u0000${user}`;
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
