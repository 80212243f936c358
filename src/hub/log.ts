/**
 * Structured log entries and the default sink.
 *
 * @module
 */

/** One structured log line. Never carries tokens or secrets. */
export interface LogEntry {
  /** Severity. */
  level: "debug" | "info" | "warn" | "error";
  /** A stable event name, such as `auth.failed`. */
  event: string;
  /** Further fields. */
  [field: string]: unknown;
}

/**
 * The default sink: one JSON line per entry on stderr, with a timestamp.
 *
 * @param entry The entry.
 *
 * @example Log an entry
 * ```ts
 * import { logToStderr } from "@realtime/hub";
 *
 * logToStderr({ level: "info", event: "example" });
 * ```
 */
export function logToStderr(entry: LogEntry): void {
  const line = JSON.stringify({ time: new Date().toISOString(), ...entry });
  // deno-lint-ignore no-console
  console.error(line);
}

/** Longest error message a log entry keeps. */
const MAX_DETAIL = 300;

/**
 * The fields that describe an unexpected error in a log entry: its class
 * (`error`), its message (`detail`, cut at 300 characters) and where it was
 * thrown (`at`, the first frame of its stack). For the operator only: what
 * a client is told of such an error is `INTERNAL` and a generic message.
 * Errors that can carry a secret in their message (a networked engine's)
 * are logged by name alone where they are caught, not through this.
 *
 * @param error What was thrown.
 * @returns Fields to spread into a {@linkcode LogEntry}.
 *
 * @example Log a bug's detail
 * ```ts
 * import { errorDetail } from "./log.ts";
 * import assert from "node:assert/strict";
 *
 * const fields = errorDetail(new TypeError("Cannot read properties of undefined"));
 * assert.equal(fields.error, "TypeError");
 * assert.equal(fields.detail, "Cannot read properties of undefined");
 * ```
 */
export function errorDetail(
  error: unknown,
): { error: string; detail?: string; at?: string } {
  if (!(error instanceof Error)) return { error: typeof error };
  const fields: { error: string; detail?: string; at?: string } = { error: error.name };
  if (typeof error.message === "string" && error.message !== "") {
    fields.detail = error.message.length > MAX_DETAIL
      ? error.message.slice(0, MAX_DETAIL) + "…"
      : error.message;
  }
  const at = typeof error.stack === "string"
    ? error.stack.split("\n").find((line) => line.trimStart().startsWith("at "))?.trim()
    : undefined;
  if (at !== undefined) fields.at = at.slice(3, 3 + MAX_DETAIL);
  return fields;
}
