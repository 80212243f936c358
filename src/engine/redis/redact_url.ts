/**
 * Redis URLs without their credentials, for every message that names a
 * Redis server (the engine's errors and logs, the server's configuration
 * errors).
 *
 * @module
 */

/**
 * Shows a Redis URL without its credentials: `redis://user:pw@host:6379`
 * becomes `redis://***@host:6379`, and the same for the multi-host forms
 * (`redis+sentinel://`, `redis+cluster://`), whose `sentinel_password`
 * parameter becomes `***` too. For errors and logs.
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
  const multi = /^(rediss?\+(?:sentinel|cluster):\/\/)([^/?#]*@)?([^?#]*)(\?[^#]*)?$/.exec(url);
  if (multi !== null) {
    const [, scheme, credentials, rest, query = ""] = multi;
    // Hosts are letters, digits, `.-_:[],`: anything else may be a misplaced secret.
    if (!/^[A-Za-z0-9_.:,\[\]-]*(\/[A-Za-z0-9_.:%-]*)?\/?$/.test(rest)) {
      return "(an unparsable URL)";
    }
    const params = query.replace(/([?&][^=&]*password[^=&]*=)[^&]*/gi, "$1***");
    return `${scheme}${credentials === undefined ? "" : "***@"}${rest}${params}`;
  }
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
