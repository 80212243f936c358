/**
 * The Redis engine: many hub processes share topics, history with offsets
 * and epochs, presence and cross-hub commands through one or several Redis
 * instances. See `docs/scaling.md`.
 *
 * @example A Redis engine is a networked {@linkcode Engine}
 * ```ts
 * import { createRedisEngine, type RedisEngineOptions } from "./mod.ts";
 * import type { Engine } from "../engine.ts";
 *
 * const options: RedisEngineOptions = { url: "redis://127.0.0.1:6379", prefix: "rt" };
 * const connect: (o: RedisEngineOptions) => Promise<Engine> = createRedisEngine;
 * ```
 *
 * @example Connect to Redis and publish (needs a running Redis)
 * ```ts ignore
 * import { createRedisEngine } from "./mod.ts";
 *
 * await using engine = await createRedisEngine({
 *   url: "redis://127.0.0.1:6379",
 *   history: [{ pattern: "chat:*", size: 100, ttlMs: 300_000 }],
 * });
 * await engine.publish("chat:lobby", { data: '"hi"', from: "alice", ts: Date.now() });
 * ```
 *
 * @module
 */

export {
  createRedisEngine,
  type RedisClusterOptions,
  type RedisEngine,
  type RedisEngineHealth,
  type RedisEngineLogEntry,
  type RedisEngineOptions,
  type RedisSentinelOptions,
  type RedisShardHealth,
} from "./redis_engine.ts";
// The engine contract's types, so this path documents itself completely.
export type * from "../engine.ts";
export type { AclAction, AclCondition, AclRule } from "../../acl/rules.ts";
export { EngineError, type EngineErrorCode } from "../errors.ts";
export type { HistoryRule } from "../history_policy.ts";
