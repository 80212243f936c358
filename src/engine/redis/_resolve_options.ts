// The Redis engine's options checked once, defaults applied in one place.

import type { EngineClock } from "../engine.ts";
import { compileHistoryPolicy, type HistoryPolicy } from "../history_policy.ts";
import { PREFIX_RE } from "./_names.ts";
import {
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  DEFAULT_MAX_IDEMPOTENCY_KEYS,
} from "../idempotency_window.ts";
import { resolveEndpoints, type ShardEndpoint } from "./_topology.ts";
import type { RedisEngineLogEntry, RedisEngineOptions } from "./options.ts";

export interface ResolvedOptions {
  readonly shards: readonly ShardEndpoint[];
  /** Sentinel or Cluster: a failover can change the node holding a topic. */
  readonly failover: boolean;
  readonly minReplicaAcks: number;
  readonly prefix: string;
  readonly policy: HistoryPolicy;
  readonly clock: EngineClock;
  readonly maxPublicationBytes: number;
  readonly maxStreamBytes: number;
  readonly maxNewStreamsPerUser: number;
  readonly newStreamsWindowMs: number;
  readonly idempotencyWindowMs: number;
  readonly maxIdempotencyKeys: number;
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
    sentinel,
    cluster,
    minReplicaAcks,
    prefix = "rt",
    history = [],
    clock = SYSTEM_CLOCK,
    maxPublicationBytes = 131_072,
    maxStreamBytes = 262_144,
    maxNewStreamsPerUser = 20,
    newStreamsWindowMs = 60_000,
    idempotencyWindowMs = DEFAULT_IDEMPOTENCY_WINDOW_MS,
    maxIdempotencyKeys = DEFAULT_MAX_IDEMPOTENCY_KEYS,
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
    idempotencyWindowMs,
    maxIdempotencyKeys,
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
  const shards = resolveEndpoints({ url, urls, sentinel, cluster });
  const failover = shards.some((s) => s.endpoint.kind !== "single");
  const acks = minReplicaAcks ?? (failover ? 1 : 0);
  if (!Number.isSafeInteger(acks) || acks < 0 || acks > 16) {
    throw new RangeError(`Invalid 'minReplicaAcks': expected an integer from 0 to 16, got ${acks}`);
  }
  return {
    ...numbers,
    shards,
    failover,
    minReplicaAcks: acks,
    prefix,
    policy: compileHistoryPolicy(history),
    clock,
    log,
    onListenerError,
  };
}
