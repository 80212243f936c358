/**
 * The engine's error class and its stable codes.
 *
 * @module
 */

/**
 * Stable codes of {@linkcode EngineError}:
 * - `ENGINE_CLOSED`: the engine was closed; nothing was done.
 * - `ENGINE_UNAVAILABLE`: a networked engine could not reach its store in
 *   time; retrying can succeed.
 * - `NO_HISTORY`: the topic keeps no history, so it has no position.
 * - `TOO_LARGE`: the publication is larger than the engine stores; nothing
 *   was published.
 * - `QUOTA_EXCEEDED`: the publisher used up a quota of the engine (new
 *   history topics per user per window); nothing was published, and the
 *   same call can succeed once the window has passed.
 */
export type EngineErrorCode =
  | "ENGINE_CLOSED"
  | "ENGINE_UNAVAILABLE"
  | "NO_HISTORY"
  | "TOO_LARGE"
  | "QUOTA_EXCEEDED";

/**
 * An error an engine reports about its state, not about a caller's misuse
 * (misuse throws `TypeError` or `RangeError`).
 *
 * @example Tell a closed engine apart
 * ```ts
 * import { EngineError } from "./errors.ts";
 * import { createMemoryEngine } from "./memory_engine.ts";
 * import assert from "node:assert/strict";
 *
 * const engine = createMemoryEngine();
 * await engine.close();
 * await assert.rejects(
 *   engine.publish("chat:a", { data: "1", from: null, ts: 0 }),
 *   (error) => error instanceof EngineError && error.code === "ENGINE_CLOSED",
 * );
 * ```
 */
export class EngineError extends Error {
  /** The stable code callers switch on. */
  readonly code: EngineErrorCode;
  /** Whether retrying the same call can succeed. */
  readonly retry: boolean;

  /**
   * Creates an engine error.
   *
   * @param code The stable code.
   * @param message What happened, sentence case, without a trailing period.
   */
  constructor(code: EngineErrorCode, message: string) {
    super(message);
    this.name = "EngineError";
    this.code = code;
    this.retry = code === "ENGINE_UNAVAILABLE" || code === "QUOTA_EXCEEDED";
  }
}
