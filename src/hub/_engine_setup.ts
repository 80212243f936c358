// The hub's engine: the one given, or an in-memory engine with the hub's
// history and idempotency options, and whether a topic keeps history as
// far as the hub knows. Internal.

import type { Engine } from "../engine/engine.ts";
import { compileHistoryPolicy } from "../engine/history_policy.ts";
import { createMemoryEngine } from "../engine/memory_engine.ts";
import type { Clock } from "./clock.ts";
import type { HubOptions } from "./options.ts";

/** The engine slice of the hub's options. */
export type EngineSetupOptions = Pick<
  HubOptions,
  | "engine"
  | "history"
  | "maxHistoryBytes"
  | "idempotencyWindowMs"
  | "maxIdempotencyKeys"
  | "maxIdempotencyKeysTotal"
>;

/** The engine of one hub, from {@linkcode setUpEngine}. */
export interface EngineSetup {
  readonly engine: Engine;
  /** Whether the hub created the engine (and so closes it, and is alone on it). */
  readonly ownsEngine: boolean;
  /** Whether a concrete topic keeps history: `"ask"` the engine when the hub does not know. */
  historyOf(topic: string): "yes" | "no" | "ask";
}

/** Checks the history rules and takes, or creates, the engine. */
export function setUpEngine(options: EngineSetupOptions, clock: Clock): EngineSetup {
  // Validated here even when an engine is given, so a bad rule fails at creation.
  const historyPolicy = compileHistoryPolicy(options.history ?? []);
  const ownsEngine = options.engine === undefined;
  const engine: Engine = options.engine ?? createMemoryEngine({
    history: options.history ?? [],
    maxHistoryBytes: options.maxHistoryBytes,
    idempotencyWindowMs: options.idempotencyWindowMs,
    maxIdempotencyKeys: options.maxIdempotencyKeys,
    maxIdempotencyKeysTotal: options.maxIdempotencyKeysTotal,
    clock,
  });
  const historyOf: (topic: string) => "yes" | "no" | "ask" =
    options.engine !== undefined && options.history === undefined
      ? () => "ask"
      : (topic) => historyPolicy(topic) === undefined ? "no" : "yes";
  return { engine, ownsEngine, historyOf };
}
