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
  /** A stable name: `unsafe_maxmemory_policy`, `subscriber_lost`, `resubscribed`, `resubscribe_failed`, `heartbeat_missed`, `bad_message`. */
  readonly event: string;
  /** What happened, sentence case; URLs have their credentials redacted. */
  readonly message: string;
}

/**
 * Options of `createRedisEngine`. Give `url` or `urls`.
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
  /** One Redis instance, such as `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Several instances: topics are spread over them by consistent hashing; the control channel lives on the first. */
  readonly urls?: readonly string[];
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
