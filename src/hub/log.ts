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
