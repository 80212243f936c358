/**
 * Which engine a server runs on, as plain data: the config file's `engine`
 * field and `REALTIME_REDIS_URL`. Without either, the hub keeps its
 * in-memory engine (one process).
 *
 * @module
 */

import type { HistoryRule } from "../engine/history_policy.ts";
import { redactRedisUrl } from "../engine/redis/redact_url.ts";
import { parseRedisUrl } from "../engine/redis/redis_url.ts";

export { redactRedisUrl };

/**
 * The plain-data options of the Redis engine a config file may set: where
 * Redis is (exactly one of `urls`, `sentinel` and `cluster`) and how the
 * engine behaves; see `docs/scaling.md` for each form and bound.
 *
 * @example Two shards
 * ```ts
 * import type { RedisEngineConfig } from "@realtime/hub/server";
 *
 * const redis: RedisEngineConfig = { urls: ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"] };
 * ```
 *
 * @example A master behind three Sentinels
 * ```ts
 * import type { RedisEngineConfig } from "@realtime/hub/server";
 *
 * const redis: RedisEngineConfig = {
 *   sentinel: { addresses: ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"], masterName: "mymaster" },
 * };
 * ```
 */
export interface RedisEngineConfig {
  /**
   * Redis URLs: `redis://`, `rediss://` or `redis+sentinel://` (several
   * shard topics by consistent hashing), or one `redis+cluster://`.
   * `REALTIME_REDIS_URL` replaces them (and `sentinel`, `cluster`).
   */
  urls?: string[];
  /** A master found through Redis Sentinel (`addresses`, `masterName`, `password`, `sentinelPassword`, `username`, `tls`). */
  sentinel?: {
    addresses: string[];
    masterName: string;
    username?: string;
    password?: string;
    sentinelPassword?: string;
    tls?: boolean;
  };
  /** A Redis Cluster (`nodes`: some of its `host:port`; `password`, `username`, `tls`). */
  cluster?: { nodes: string[]; username?: string; password?: string; tls?: boolean };
  /** Replicas that must hold a publication before it is acknowledged (at most those online). @default {1} with Sentinel or Cluster, else 0 */
  minReplicaAcks?: number;
  /** Prefix of every key and channel. @default {"rt"} */
  prefix?: string;
  /** Which topics keep history, first match wins. @default {[]} */
  history?: HistoryRule[];
  /** Most bytes of one stored publication; a larger one gets `TOO_LARGE`. @default {131072} */
  maxPublicationBytes?: number;
  /** Most bytes of publications one topic's history keeps (oldest dropped first). @default {262144} */
  maxStreamBytes?: number;
  /** Most history streams one user may create per `newStreamsWindowMs` (`QUOTA_EXCEEDED` past it). @default {20} */
  maxNewStreamsPerUser?: number;
  /** The window of `maxNewStreamsPerUser`, in ms. @default {60000} */
  newStreamsWindowMs?: number;
  /** How long a publication's idempotency key is remembered, in ms. @default {300000} */
  idempotencyWindowMs?: number;
  /** Most idempotency keys remembered per publisher and topic (oldest dropped first). @default {1000} */
  maxIdempotencyKeys?: number;
  /** Longest wait for one Redis command. @default {2000} */
  commandTimeoutMs?: number;
  /** Longest wait for each connection at start. @default {2000} */
  connectTimeoutMs?: number;
  /** How long a channel stays subscribed after its last local subscriber left. @default {1000} */
  unsubscribeDelayMs?: number;
  /** Lifetime of an unrefreshed presence entry (the bound for a crashed hub). @default {8000} */
  presenceTtlMs?: number;
  /** How often presence entries are refreshed. @default {2000} */
  presenceRefreshMs?: number;
  /** How often a probe checks each subscriber connection. @default {1000} */
  heartbeatMs?: number;
  /** Longest time to resubscribe and verify after a reconnect. @default {5000} */
  resubscribeTimeoutMs?: number;
}

/**
 * The config file's `engine` field: `{ "redis": { "urls": [...] } }` (or
 * `sentinel`, `cluster` instead of `urls`), or `"memory"` (the default) for
 * one process.
 *
 * @example Choose Redis in a config file
 * ```ts
 * import type { EngineConfig } from "@realtime/hub/server";
 *
 * const engine: EngineConfig = { redis: { urls: ["redis://127.0.0.1:6379"], prefix: "rt" } };
 * ```
 */
export type EngineConfig = "memory" | { redis: RedisEngineConfig };

/**
 * Parses `REALTIME_REDIS_URL`: one URL, or a comma-separated list (one
 * shard each). Each is `redis://` or `rediss://` with a host,
 * `redis+sentinel://host:port,host:port/<master name>`, or one
 * `redis+cluster://host:port,host:port` alone: a comma starts a new URL only
 * where a scheme follows it.
 *
 * @param text The variable's value.
 * @returns The URLs, in order.
 * @throws {TypeError} When the list is empty or a URL is not a Redis URL (named with credentials redacted).
 *
 * @example Two shards, and a master behind two Sentinels
 * ```ts
 * import { parseRedisUrls } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseRedisUrls("redis://a:6379, redis://b:6379"), ["redis://a:6379", "redis://b:6379"]);
 * assert.deepEqual(parseRedisUrls("redis+sentinel://s1:26379,s2:26379/mymaster"), [
 *   "redis+sentinel://s1:26379,s2:26379/mymaster",
 * ]);
 * ```
 */
export function parseRedisUrls(text: string): string[] {
  const urls: string[] = [];
  for (const piece of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    // A piece without a scheme is the next host of a multi-host URL.
    if (urls.length > 0 && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(piece)) {
      urls[urls.length - 1] += `,${piece}`;
    } else urls.push(piece);
  }
  if (urls.length === 0) {
    throw new TypeError("Cannot use REALTIME_REDIS_URL as it names no URL: give redis://host:port");
  }
  for (const url of urls) checkRedisUrl(url, "REALTIME_REDIS_URL");
  checkOneCluster(urls, "REALTIME_REDIS_URL");
  return urls;
}

/**
 * Checks the config file's `engine` field, so a typo stops the server at
 * start instead of silently running one process on its own.
 *
 * @param engine The field's value.
 * @returns The value, typed.
 * @throws {TypeError} When the shape is wrong (URLs are shown with credentials redacted).
 *
 * @example A valid value
 * ```ts
 * import { checkEngineConfig } from "@realtime/hub/server";
 *
 * checkEngineConfig({ redis: { urls: ["redis://127.0.0.1:6379"] } });
 * ```
 */
export function checkEngineConfig(engine: unknown): EngineConfig {
  if (engine === "memory") return engine;
  if (typeof engine !== "object" || engine === null || Array.isArray(engine)) {
    throw new TypeError(
      `Cannot use engine ${describe(engine)}: use "memory" or { "redis": { "urls": [...] } }`,
    );
  }
  const keys = Object.keys(engine);
  if (keys.length !== 1 || keys[0] !== "redis") {
    throw new TypeError(
      `Cannot use engine with fields '${keys.join("', '")}': the only engine field is "redis"`,
    );
  }
  const redis = (engine as { redis: unknown }).redis;
  if (typeof redis !== "object" || redis === null || Array.isArray(redis)) {
    throw new TypeError(`Cannot use engine.redis ${describe(redis)}: it must be an object`);
  }
  const { urls, sentinel, cluster } = redis as Record<string, unknown>;
  const given = Object.entries({ urls, sentinel, cluster }).filter(([, v]) => v !== undefined);
  if (given.length !== 1) {
    throw new TypeError(
      `Cannot use engine.redis with ${
        given.length === 0 ? "none" : `'${given.map(([k]) => k).join("', '")}'`
      } of 'urls', 'sentinel' and 'cluster': give exactly one`,
    );
  }
  if (sentinel !== undefined) {
    checkAddresses(sentinel, "addresses", "engine.redis.sentinel");
    const { masterName } = sentinel as { masterName?: unknown };
    if (typeof masterName !== "string" || masterName === "") {
      throw new TypeError(
        `Cannot use engine.redis.sentinel.masterName ${
          describe(masterName)
        }: give the name the Sentinels monitor`,
      );
    }
  } else if (cluster !== undefined) {
    checkAddresses(cluster, "nodes", "engine.redis.cluster");
  } else {
    if (!Array.isArray(urls) || urls.length === 0) {
      throw new TypeError(
        `Cannot use engine.redis.urls ${describe(urls)}: give a non-empty list of redis:// URLs`,
      );
    }
    for (const url of urls) checkRedisUrl(url, "engine.redis.urls");
    checkOneCluster(urls, "engine.redis.urls");
  }
  return engine as EngineConfig;
}

function checkAddresses(value: unknown, field: string, where: string): void {
  const list = typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[field]
    : undefined;
  if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== "string")) {
    throw new TypeError(
      `Cannot use ${where}.${field} ${describe(list)}: give a non-empty list of "host:port"`,
    );
  }
}

function checkOneCluster(urls: readonly string[], where: string): void {
  if (urls.length > 1 && urls.some((u) => /^rediss?\+cluster:/.test(u))) {
    throw new TypeError(
      `Cannot use a redis+cluster:// URL with others in ${where}: a cluster spreads topics over its own nodes`,
    );
  }
}

function checkRedisUrl(url: unknown, where: string): void {
  if (typeof url !== "string") {
    throw new TypeError(`Cannot use ${describe(url)} in ${where}: a redis:// URL is required`);
  }
  try {
    parseRedisUrl(url);
  } catch (error) {
    // The engine's reason never quotes a credential; an unparsable value is not quoted at all.
    throw new TypeError(
      `Cannot use ${
        /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) ? `'${redactRedisUrl(url)}'` : "an unparsable URL"
      } in ${where}: ${(error as Error).message}`,
    );
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "(missing)";
  if (typeof value === "string") return "(a string)";
  return Array.isArray(value) ? "(an array)" : `(${value === null ? "null" : typeof value})`;
}
