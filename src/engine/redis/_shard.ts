// One Redis instance as the engine sees it: a command connection (scripts,
// PUBLISH, reads) and a subscriber connection, both failing fast instead of
// queueing while Redis is unreachable.

import { Redis } from "ioredis";
import type { Script } from "./_scripts.ts";
import { redactRedisUrl } from "./redact_url.ts";

/** How a shard's connections behave. */
export interface ShardOptions {
  readonly url: string;
  readonly name: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

function connect(options: ShardOptions, role: string): Redis {
  return new Redis(options.url, {
    lazyConnect: true,
    // Never queue a command while disconnected, never resend one after a
    // reconnect: a caller gets an error within the bound, not a late effect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // The engine resubscribes itself and verifies the result.
    autoResubscribe: false,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    connectionName: `${options.name}:${role}`,
  });
}

/** A Redis instance's two connections. */
export class Shard {
  readonly index: number;
  readonly identity: string;
  readonly command: Redis;
  readonly subscriber: Redis;
  /** Channels and globs Redis confirmed on the subscriber connection. */
  readonly confirmed: Set<string> = new Set();
  /** Subscribe commands in flight, by channel or glob. */
  readonly pending: Map<string, Promise<void>> = new Map();
  /** Unsubscribe timers of channels and globs with no local subscriber left. */
  readonly lingers: Map<string, unknown> = new Map();
  /** Whether the subscriber connection is subscribed and verified. */
  up = false;

  constructor(index: number, options: ShardOptions) {
    this.index = index;
    this.identity = redactRedisUrl(options.url);
    this.command = connect(options, "cmd");
    this.subscriber = connect(options, "sub");
  }

  /** Runs a script by its digest, sending its source once when Redis lost its script cache. */
  async run(
    script: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await this.command.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return await this.command.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  /** Whether a command sent now would be written: ioredis's status lags behind a closed socket. */
  get commandsReady(): boolean {
    return this.command.status === "ready" && this.command.stream?.writable === true;
  }

  /** The server's `maxmemory-policy`, such as `noeviction`. */
  async memoryPolicy(): Promise<string> {
    const reply = await this.command.config("GET", "maxmemory-policy") as string[];
    return String(reply[1]);
  }

  /** Closes both connections and waits until their sockets are gone. */
  async close(): Promise<void> {
    await Promise.all([this.command, this.subscriber].map(async (redis) => {
      // Between attempts ("reconnecting", "close") there is no socket:
      // disconnect() only cancels the next attempt and emits no "end".
      const open = ["connecting", "connect", "ready", "wait"].includes(redis.status);
      const ended = open
        ? new Promise<void>((resolve) => redis.once("end", () => resolve()))
        : undefined;
      redis.disconnect();
      await ended;
    }));
  }
}
