/**
 * Which engine a server runs on, as plain data: the config file's `engine`
 * field and `REALTIME_REDIS_URL`. Without either, the hub keeps its
 * in-memory engine (one process).
 *
 * @module
 */

import type { HistoryRule } from "../engine/history_policy.ts";
import { redactRedisUrl } from "../engine/redis/redact_url.ts";

export { redactRedisUrl };

/**
 * The plain-data options of the Redis engine a config file may set; see
 * `docs/scaling.md` for each bound.
 *
 * @example Two shards
 * ```ts
 * import type { RedisEngineConfig } from "@realtime/hub/server";
 *
 * const redis: RedisEngineConfig = { urls: ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"] };
 * ```
 */
export interface RedisEngineConfig {
  /** Redis instances; several shard topics by consistent hashing (`REALTIME_REDIS_URL` replaces them). */
  urls: string[];
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
 * The config file's `engine` field: `{ "redis": { "urls": [...] } }`, or
 * `"memory"` (the default) for one process.
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
 * shard each). Each must be `redis://` or `rediss://` with a host.
 *
 * @param text The variable's value.
 * @returns The URLs, in order.
 * @throws {TypeError} When the list is empty or a URL is not a Redis URL (named with credentials redacted).
 *
 * @example Two shards
 * ```ts
 * import { parseRedisUrls } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseRedisUrls("redis://a:6379, redis://b:6379"), ["redis://a:6379", "redis://b:6379"]);
 * ```
 */
export function parseRedisUrls(text: string): string[] {
  const urls = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (urls.length === 0) {
    throw new TypeError("Cannot use REALTIME_REDIS_URL as it names no URL: give redis://host:port");
  }
  for (const url of urls) checkRedisUrl(url, "REALTIME_REDIS_URL");
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
  const urls = (redis as { urls?: unknown }).urls;
  if (!Array.isArray(urls) || urls.length === 0) {
    throw new TypeError(
      `Cannot use engine.redis.urls ${describe(urls)}: give a non-empty list of redis:// URLs`,
    );
  }
  for (const url of urls) checkRedisUrl(url, "engine.redis.urls");
  return engine as EngineConfig;
}

function checkRedisUrl(url: unknown, where: string): void {
  if (typeof url !== "string") {
    throw new TypeError(`Cannot use ${describe(url)} in ${where}: a redis:// URL is required`);
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Never quote an unparsable value: it may be a password pasted in the wrong place.
  }
  if (
    parsed === undefined || (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") ||
    parsed.hostname === ""
  ) {
    throw new TypeError(
      `Cannot use ${
        parsed === undefined ? "an unparsable URL" : `'${redactRedisUrl(url)}'`
      } in ${where}: a redis:// or rediss:// URL with a host is required`,
    );
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "(missing)";
  if (typeof value === "string") return "(a string)";
  return Array.isArray(value) ? "(an array)" : `(${value === null ? "null" : typeof value})`;
}
