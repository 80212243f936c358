// The Redis engine's options checked once, defaults applied in one place.

import type { EngineClock } from "../engine.ts";
import { compileHistoryPolicy, type HistoryPolicy } from "../history_policy.ts";
import { PREFIX_RE } from "./_names.ts";
import type { RedisEngineLogEntry, RedisEngineOptions } from "./options.ts";

export interface ResolvedOptions {
  readonly urls: readonly string[];
  readonly prefix: string;
  readonly policy: HistoryPolicy;
  readonly clock: EngineClock;
  readonly maxPublicationBytes: number;
  readonly maxStreamBytes: number;
  readonly maxNewStreamsPerUser: number;
  readonly newStreamsWindowMs: number;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly unsubscribeDelayMs: number;
  readonly presenceTtlMs: number;
  readonly presenceRefreshMs: number;
  readonly heartbeatMs: number;
  readonly resubscribeTimeoutMs: number;
  readonly log: (entry: RedisEngineLogEntry) => void;
  readonly onListenerError: (error: unknown) => void;
}

const SYSTEM_CLOCK: EngineClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as number),
};

function defaultLog(entry: RedisEngineLogEntry): void {
  // deno-lint-ignore no-console
  if (entry.level === "warn") console.warn(`redis engine: ${entry.message}`);
}

export function resolveOptions(options: RedisEngineOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Invalid Redis engine options: expected an object, got ${options}`);
  }
  const {
    url,
    urls,
    prefix = "rt",
    history = [],
    clock = SYSTEM_CLOCK,
    maxPublicationBytes = 131_072,
    maxStreamBytes = 262_144,
    maxNewStreamsPerUser = 20,
    newStreamsWindowMs = 60_000,
    commandTimeoutMs = 2000,
    connectTimeoutMs = 2000,
    unsubscribeDelayMs = 1000,
    presenceTtlMs = 6000,
    presenceRefreshMs = 2000,
    heartbeatMs = 1000,
    resubscribeTimeoutMs = 5000,
    log = defaultLog,
    onListenerError = (error: unknown) => globalThis.reportError(error),
  } = options;
  if (typeof prefix !== "string" || !PREFIX_RE.test(prefix)) {
    throw new TypeError(
      `Invalid 'prefix': expected 1 to 32 of A-Z a-z 0-9 _ - ., got '${
        String(prefix).slice(0, 40)
      }'`,
    );
  }
  const numbers = {
    commandTimeoutMs,
    connectTimeoutMs,
    unsubscribeDelayMs,
    presenceTtlMs,
    presenceRefreshMs,
    heartbeatMs,
    resubscribeTimeoutMs,
    maxPublicationBytes,
    maxStreamBytes,
    maxNewStreamsPerUser,
    newStreamsWindowMs,
  };
  for (const [name, value] of Object.entries(numbers)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Invalid '${name}': expected a positive integer, got ${value}`);
    }
  }
  if (presenceRefreshMs >= presenceTtlMs) {
    throw new RangeError(
      `Invalid 'presenceRefreshMs': must be below 'presenceTtlMs' (${presenceTtlMs}), got ${presenceRefreshMs}`,
    );
  }
  if (maxPublicationBytes > maxStreamBytes) {
    throw new RangeError(
      `Invalid 'maxPublicationBytes': must be at most 'maxStreamBytes' (${maxStreamBytes}), got ${maxPublicationBytes}`,
    );
  }
  for (const [name, fn] of Object.entries({ log, onListenerError })) {
    if (typeof fn !== "function") throw new TypeError(`Invalid '${name}': expected a function`);
  }
  if (typeof clock?.setTimer !== "function" || typeof clock.now !== "function") {
    throw new TypeError("Invalid 'clock': expected now(), setTimer() and clearTimer()");
  }
  return {
    ...numbers,
    urls: checkUrls(url, urls),
    prefix,
    policy: compileHistoryPolicy(history),
    clock,
    log,
    onListenerError,
  };
}

function checkUrls(url: unknown, urls: unknown): string[] {
  if ((url === undefined) === (urls === undefined)) {
    throw new TypeError("Invalid Redis engine options: give exactly one of 'url' and 'urls'");
  }
  const list = url !== undefined ? [url] : urls;
  if (!Array.isArray(list) || list.length === 0 || list.length > 1024) {
    throw new TypeError("Invalid 'urls': expected 1 to 1024 Redis URLs");
  }
  for (const item of list) {
    if (typeof item !== "string" || !/^rediss?:\/\//.test(item)) {
      // Only the scheme is echoed: the rest may hold a password.
      const seen = typeof item === "string" ? `'${item.split("://")[0]}://…'` : typeof item;
      throw new TypeError(`Invalid Redis URL: expected redis:// or rediss://, got ${seen}`);
    }
  }
  if (new Set(list).size !== list.length) throw new TypeError("Invalid 'urls': a URL is repeated");
  return list as string[];
}
