/**
 * The options of the Redis engine and what it logs.
 *
 * @module
 */

import type { EngineClock } from "../engine.ts";
import type { HistoryRule } from "../history_policy.ts";

/**
 * What the Redis engine reports about itself to the operator.
 *
 * @example Print warnings
 * ```ts
 * import type { RedisEngineLogEntry } from "./options.ts";
 *
 * const log = (entry: RedisEngineLogEntry) => entry.level === "warn" ? entry.message : undefined;
 * ```
 */
export interface RedisEngineLogEntry {
  /** How serious. */
  readonly level: "info" | "warn";
  /** A stable name: `unsafe_maxmemory_policy`, `replicas_missing`, `subscriber_lost`, `subscriber_moved`, `resubscribed`, `resubscribe_failed`, `heartbeat_missed`, `bad_message`. */
  readonly event: string;
  /** What happened, sentence case; URLs have their credentials redacted. */
  readonly message: string;
}

/**
 * A master found through Redis Sentinel: the engine asks the Sentinels
 * where the master is, and asks again after every lost connection, so it
 * follows a failover. The same as a `redis+sentinel://` URL.
 *
 * @example Three Sentinels
 * ```ts
 * import type { RedisSentinelOptions } from "./options.ts";
 *
 * const sentinel: RedisSentinelOptions = {
 *   addresses: ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"],
 *   masterName: "mymaster",
 * };
 * ```
 */
export interface RedisSentinelOptions {
  /** Sentinels as `host:port` (port 26379 when absent); one reachable is enough, more are discovered. */
  readonly addresses: readonly string[];
  /** The name the Sentinels monitor the master under (`sentinel monitor <name> ...`). */
  readonly masterName: string;
  /** User of the master and replicas (Redis ACL). @default {none} */
  readonly username?: string;
  /** Password of the master and replicas. @default {none} */
  readonly password?: string;
  /** Password of the Sentinels themselves (`requirepass` in sentinel.conf). @default {none} */
  readonly sentinelPassword?: string;
  /** TLS to the Sentinels and the data nodes. @default {false} */
  readonly tls?: boolean;
}

/**
 * A Redis Cluster: the engine learns the slots from any reachable node and
 * follows the cluster's own failovers. The same as a `redis+cluster://` URL.
 *
 * @example Three seed nodes
 * ```ts
 * import type { RedisClusterOptions } from "./options.ts";
 *
 * const cluster: RedisClusterOptions = { nodes: ["10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"] };
 * ```
 */
export interface RedisClusterOptions {
  /** Some of the cluster's nodes as `host:port` (port 6379 when absent); the rest are discovered. */
  readonly nodes: readonly string[];
  /** User of every node (Redis ACL). @default {none} */
  readonly username?: string;
  /** Password of every node. @default {none} */
  readonly password?: string;
  /** TLS to every node. @default {false} */
  readonly tls?: boolean;
}

/**
 * Options of `createRedisEngine`. Give exactly one of `url`, `urls`,
 * `sentinel` and `cluster`.
 *
 * @example Two shards, chat history
 * ```ts
 * import type { RedisEngineOptions } from "./options.ts";
 *
 * const options: RedisEngineOptions = {
 *   urls: ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"],
 *   history: [{ pattern: "chat:*", size: 100, ttlMs: 300_000 }],
 * };
 * ```
 */
export interface RedisEngineOptions {
  /** One Redis instance, such as `redis://127.0.0.1:6379`, a `redis+sentinel://` or a `redis+cluster://` URL (see `docs/scaling.md`). */
  readonly url?: string;
  /** Several instances (`redis://` or `redis+sentinel://`): topics are spread over them by consistent hashing; the control channel lives on the first. */
  readonly urls?: readonly string[];
  /** A master found through Redis Sentinel, instead of a URL. */
  readonly sentinel?: RedisSentinelOptions;
  /** A Redis Cluster, instead of a URL. */
  readonly cluster?: RedisClusterOptions;
  /**
   * How many replicas of the topic's master must hold a publication that
   * keeps history before `publish` resolves (Redis `WAIT`, at most the
   * replicas online when it ran): then a failover cannot lose an
   * acknowledged publication. 0 acknowledges on the master's reply alone.
   *
   * @default {1} with Sentinel or Cluster, else 0
   */
  readonly minReplicaAcks?: number;
  /** Prefix of every key and channel: 1 to 32 of `A-Z a-z 0-9 _ - .`. @default {"rt"} */
  readonly prefix?: string;
  /** Which topics keep history, first match wins. @default {[]} */
  readonly history?: readonly HistoryRule[];
  /**
   * Most bytes of one publication as stored (UTF-8 of its encoded form:
   * data, publisher, time, event and any signature), for every topic; a
   * larger one is refused with `TOO_LARGE` and nothing is published. Above
   * what a hub with the default `maxFrameBytes` (64 KiB) accepts, signed
   * publications included: it bounds server-side publishers and hubs with
   * larger frames. At most `maxStreamBytes`.
   * @default {131072}
   */
  readonly maxPublicationBytes?: number;
  /**
   * Most bytes of publications one topic's history stream keeps, besides
   * the rule's `size`: past it the oldest publications are dropped first,
   * as past `size` (recovery from before them answers `recovered: false`).
   * @default {262144}
   */
  readonly maxStreamBytes?: number;
  /**
   * Most history streams one user (the publication's `from`) may create per
   * `newStreamsWindowMs`, counted in Redis so the bound holds across hubs:
   * a publication that would create one more is refused with
   * `QUOTA_EXCEEDED` (`retry: true`). A stream is created by the first
   * publication on a history topic, or the first after its history expired.
   * Publications to existing streams, and server publications (`from:
   * null`), are never counted. With `maxStreamBytes` it bounds how fast one
   * user can make Redis grow; see `docs/scaling.md`, "Sizing Redis".
   * @default {20}
   */
  readonly maxNewStreamsPerUser?: number;
  /** The window of `maxNewStreamsPerUser`, in ms; it starts at a user's first creation. @default {60000} */
  readonly newStreamsWindowMs?: number;
  /**
   * How long a publication's idempotency key is remembered, in ms (by the
   * Redis clock, kept with a TTL): a repeat within it, from any hub, is
   * answered with the first position and not published again.
   * @default {300000}
   */
  readonly idempotencyWindowMs?: number;
  /**
   * Most idempotency keys remembered per publisher and topic; past it the
   * oldest is forgotten.
   * @default {1000}
   */
  readonly maxIdempotencyKeys?: number;
  /** Time and timers. @default {the system clock} */
  readonly clock?: EngineClock;
  /** Longest wait for Redis to answer one command; past it the call rejects with `ENGINE_UNAVAILABLE`. @default {2000} */
  readonly commandTimeoutMs?: number;
  /** Longest wait for a connection at start. @default {2000} */
  readonly connectTimeoutMs?: number;
  /** How long a channel stays subscribed after its last local subscriber left. @default {1000} */
  readonly unsubscribeDelayMs?: number;
  /** How long a presence entry lives unless refreshed: the bound for a crashed hub's entries (three refreshes, so one late refresh never drops a live entry). @default {6000} */
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

/**
 * The state of one Redis shard as seen by an engine, from
 * {@linkcode RedisEngineHealth}.
 *
 * @example A healthy shard
 * ```ts
 * import type { RedisShardHealth } from "./options.ts";
 *
 * const shard: RedisShardHealth = { url: "redis://10.0.0.1:6379", commands: true, subscriber: true };
 * ```
 */
export interface RedisShardHealth {
  /** The shard's URL, credentials redacted. */
  readonly url: string;
  /** Whether the command connection is connected and ready. */
  readonly commands: boolean;
  /** Whether the subscriber connection is subscribed and verified. */
  readonly subscriber: boolean;
}

/**
 * What `health()` of a Redis engine reports, for a readiness endpoint.
 *
 * @example Answer a health check
 * ```ts
 * import type { RedisEngineHealth } from "./options.ts";
 *
 * const status = (health: RedisEngineHealth) => health.ok ? 200 : 503;
 * status({ ok: true, shards: [] });
 * ```
 */
export interface RedisEngineHealth {
  /** Every shard's connections are up: publishes and deliveries work. */
  readonly ok: boolean;
  /** Each shard, in the order of the URLs. */
  readonly shards: readonly RedisShardHealth[];
}
