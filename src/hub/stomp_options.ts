/**
 * The hub's STOMP door options (`HubOptions.stomp`, `docs/stomp.md`) and the
 * one host every STOMP door of a hub shares.
 *
 * @module
 */

import {
  resolveStompDestinationRule,
  type StompDestinationRule,
} from "../protocol/stomp/destination.ts";
import { DEFAULT_STOMP_LIMITS } from "../protocol/stomp/frame.ts";
import type { FrameLimits } from "../protocol/parse.ts";
import type { StompDoorHost, StompTimers } from "./codec/stomp.ts";
import { StompPublicationCodec } from "./codec/stomp_publication.ts";
import { StompSendTopics } from "./codec/stomp_send.ts";
import type { SharedBatch } from "./codec/shared_batch.ts";

/** How the hub speaks STOMP over WebSocket (subprotocols `v12.stomp`, `v11.stomp`, `v10.stomp`). */
export interface StompOptions {
  /**
   * How destinations map to topics, application methods and user queues.
   *
   * @default {{ topicPrefix: "/topic/", separator: "/", appPrefix: "/app/", userPrefix: "/user/queue/" }}
   */
  destinations?: Partial<StompDestinationRule>;
  /**
   * The heart-beat the hub offers both ways in CONNECTED, ms (0: none). The
   * interval used each way is the larger of this and the client's; a
   * client silent for twice its interval is closed.
   *
   * @default {10000}
   */
  heartbeatMs?: number;
  /**
   * Write the frames a connection is owed in one turn of the event loop
   * together, in one WebSocket message (each frame still ends with its NUL,
   * as on a TCP stream; stomp.js, stomp.py and Spring's client read them so).
   * `false` writes one frame per message, for clients that read only one.
   *
   * @default {true}
   */
  batch?: boolean;
  /**
   * Most header lines in one frame.
   *
   * @default {32}
   */
  maxHeaders?: number;
  /**
   * Longest header line, in characters.
   *
   * @default {8192}
   */
  maxHeaderLength?: number;
}

/** What the STOMP host takes from the rest of the hub. */
export interface StompHostDeps {
  /** The v1 frame bounds: a STOMP frame and its body are bounded by `maxFrameBytes` too. */
  readonly limits:
    & FrameLimits
    & { readonly maxBufferedBytes: number; readonly maxSubscriptions: number };
  readonly flushQueue: { add(item: { flush(): number }): void };
  readonly metrics: { socketWrites: number };
  readonly timers: StompTimers;
  /** What message ids start with, unique per hub. */
  readonly idPrefix: string;
  /** The last batch written by a STOMP door, shared by the next doors written the same frames. */
  readonly shared?: SharedBatch;
}

/**
 * Checks the options and makes the host every STOMP door of a hub shares.
 *
 * @param options The hub's `stomp` options.
 * @param deps Limits, flush queue, metrics, timers.
 * @returns The host.
 * @throws {TypeError} For a bad destination rule or a bound that is not a positive integer.
 *
 * @example Make a host with Spring's separator
 * ```ts ignore
 * const host = createStompHost({ destinations: { separator: "." } }, deps);
 * ```
 */
export function createStompHost(options: StompOptions = {}, deps: StompHostDeps): StompDoorHost {
  const rule = resolveStompDestinationRule(options.destinations);
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  if (options.batch !== undefined && typeof options.batch !== "boolean") {
    throw new TypeError(
      `Cannot use 'stomp.batch' ${String(options.batch)}: true or false is required`,
    );
  }
  if (!Number.isSafeInteger(heartbeatMs) || heartbeatMs < 0) {
    throw new RangeError(
      `Cannot use 'stomp.heartbeatMs' ${heartbeatMs}: a non-negative integer is required`,
    );
  }
  const maxHeaders = positive("maxHeaders", options.maxHeaders ?? DEFAULT_STOMP_LIMITS.maxHeaders);
  const maxHeaderLength = positive(
    "maxHeaderLength",
    options.maxHeaderLength ?? DEFAULT_STOMP_LIMITS.maxHeaderLength,
  );
  const { limits } = deps;
  return {
    limits: {
      maxFrameBytes: limits.maxFrameBytes,
      maxBodyBytes: limits.maxFrameBytes,
      maxDepth: limits.maxDepth,
      maxHeaders,
      maxHeaderLength,
      maxBufferedBytes: limits.maxBufferedBytes,
      maxSubscriptions: limits.maxSubscriptions,
    },
    rule,
    codec: new StompPublicationCodec(rule, `${deps.idPrefix}-`),
    sendTopics: new StompSendTopics(rule),
    heartbeatMs,
    batch: options.batch ?? true,
    flushQueue: deps.flushQueue,
    metrics: deps.metrics,
    timers: deps.timers,
    shared: deps.shared,
  };
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Cannot use 'stomp.${name}' ${value}: a positive integer is required`);
  }
  return value;
}
