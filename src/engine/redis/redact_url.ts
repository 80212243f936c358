/**
 * Redis URLs without their credentials, for every message that names a
 * Redis server (the engine's errors and logs, the server's configuration
 * errors).
 *
 * @module
 */

/**
 * Shows a Redis URL without its credentials: `redis://user:pw@host:6379`
 * becomes `redis://***@host:6379`. For errors and logs.
 *
 * @param url A Redis URL.
 * @returns The URL with user and password replaced.
 *
 * @example Redact a password
 * ```ts
 * import { redactRedisUrl } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * assert.equal(redactRedisUrl("redis://:hunter2@10.0.0.1:6379"), "redis://***@10.0.0.1:6379");
 * ```
 */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    parsed.username = "***";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(an unparsable URL)";
  }
}
