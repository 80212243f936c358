/**
 * The engine layer: per-topic state shared by hub processes (publications
 * with offsets and epochs, history, presence, cross-process commands), and
 * the in-memory engine. See `docs/engine.md`.
 *
 * @example Publish, then recover what a client missed
 * ```ts
 * import { createMemoryEngine } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * await using engine = createMemoryEngine({ history: [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }] });
 * const seen = await engine.publish("chat:a", { data: '"hi"', from: "alice", ts: 0 });
 * await engine.publish("chat:a", { data: '"there"', from: "alice", ts: 1 });
 * const recovery = await engine.recover("chat:a", seen!, 100);
 * assert.equal(recovery.recovered && recovery.publications.length, 1);
 * ```
 *
 * @module
 */

export type {
  ControlAsk,
  ControlCommand,
  Delivery,
  Engine,
  EngineClock,
  EngineListener,
  EnginePublication,
  EnginePublishOptions,
  EngineSubscription,
  HistoryEntry,
  HistoryQuery,
  HistoryResult,
  LostEvent,
  PresenceEntry,
  PresenceEvent,
  PresenceStats,
  Recovery,
  StreamPosition,
} from "./engine.ts";
export { PUBLISHED } from "./engine.ts";
export type { AclAction, AclCondition, AclRule } from "../acl/rules.ts";
export { EngineError, type EngineErrorCode } from "./errors.ts";
export { compileHistoryPolicy, type HistoryPolicy, type HistoryRule } from "./history_policy.ts";
export { HistoryStore, type HistoryStoreOptions, type HistoryStoreStats } from "./history_store.ts";
export {
  checkIdempotencyBounds,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_MAX_IDEMPOTENCY_KEYS,
  DEFAULT_MAX_IDEMPOTENCY_KEYS_TOTAL,
  IdempotencyWindow,
  type IdempotencyWindowOptions,
} from "./idempotency_window.ts";
export { createMemoryEngine, type MemoryEngineOptions } from "./memory_engine.ts";
export { decideRecovery, type StreamView } from "./recovery.ts";
export { diffPresence, type PresenceDiff, PresenceTable } from "./presence_table.ts";
export { publicationBytes, type StreamEntry, TopicStream } from "./topic_stream.ts";
