// One shard as the engine sees it: a command side (a connection to one
// server or to the master its Sentinels name, or a Redis Cluster) and a
// subscriber connection, both failing fast instead of queueing while Redis
// is unreachable. A cluster's subscriber is one node's; when that node is
// lost it moves to another node (plain PUBLISH reaches every node). With
// Sentinel, a connection found on a replaced master reconnects, and one that
// ioredis ended (it can, mid-reconnect) is connected again.

import type { Cluster, Redis } from "ioredis";
import {
  connectCluster,
  connectClusterNode,
  type ConnectOptions,
  connectServer,
} from "./_connect.ts";
import { keySlot } from "./_key_slot.ts";
import { ReplicaAcks } from "./_replica_acks.ts";
import type { Script } from "./_scripts.ts";
import { SentinelCheck } from "./_sentinel_check.ts";
import type { ShardEndpoint } from "./_topology.ts";
import type { RedisAddress } from "./redis_url.ts";

/** How a shard's connections behave, and where they go. */
export interface ShardOptions extends ConnectOptions {
  readonly shard: ShardEndpoint;
}

/** A shard's two sides. */
export class Shard {
  readonly index: number;
  readonly identity: string;
  readonly ringKey: string;
  readonly command: Redis | Cluster;
  /** Replaced by another node's after a cluster lost the current one (see `watchSubscriber`). */
  subscriber: Redis;
  /** Channels and globs Redis confirmed on the subscriber connection. */
  readonly confirmed: Set<string> = new Set();
  /** Subscribe commands in flight, by channel or glob. */
  readonly pending: Map<string, Promise<void>> = new Map();
  /** Unsubscribe timers of channels and globs with no local subscriber left. */
  readonly lingers: Map<string, unknown> = new Map();
  /** Whether the subscriber connection is subscribed and verified. */
  up = false;
  #options: ShardOptions;
  #watcher: ((subscriber: Redis) => void) | undefined;
  /** Writes waiting for replicas, per connection; made on first use. */
  #acks: ReplicaAcks | undefined;
  #check: SentinelCheck | undefined;
  #revivals = new Set<ReturnType<typeof setTimeout>>();
  #connected = false;
  #closing = false;

  constructor(index: number, options: ShardOptions) {
    const { endpoint, identity, ringKey } = options.shard;
    this.index = index;
    this.identity = identity;
    this.ringKey = ringKey;
    this.#options = options;
    if (endpoint.kind === "cluster") {
      this.command = connectCluster(endpoint, options);
      this.subscriber = connectClusterNode(endpoint, endpoint.nodes[0], options);
    } else {
      this.command = connectServer(endpoint, options, "cmd");
      this.subscriber = connectServer(endpoint, options, "sub");
      if (endpoint.kind === "sentinel") this.#check = new SentinelCheck(endpoint, options);
      for (const redis of [this.command, this.subscriber]) {
        redis.on("end", () => this.#revive(redis));
      }
    }
  }

  /** Whether the command side is a Redis Cluster. */
  get isCluster(): boolean {
    return this.#options.shard.endpoint.kind === "cluster";
  }

  /** Calls `watch` with the subscriber connection now and with every one that replaces it. */
  watchSubscriber(watch: (subscriber: Redis) => void): void {
    this.#watcher = watch;
    watch(this.subscriber);
  }

  /**
   * Connects both sides within `connectTimeoutMs` (asking Sentinels for a
   * master can otherwise retry for ever); a cluster's subscriber goes to the
   * first node that answers.
   */
  async connect(): Promise<void> {
    const { connectTimeoutMs } = this.#options;
    let seen: unknown;
    const note = (error: unknown) => void (seen = error);
    this.command.on("error", note);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.#connect().then(() => void (this.#connected = true)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const last = seen instanceof Error ? `: ${seen.message.replace(/\.$/, "")}` : "";
            reject(new Error(`no connection within ${connectTimeoutMs} ms${last}`));
          }, connectTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.command.off("error", note);
    }
  }

  async #connect(): Promise<void> {
    if (!this.isCluster) {
      await Promise.all([this.command.connect(), this.subscriber.connect()]);
      return;
    }
    await this.command.connect();
    let failure: unknown;
    for (const node of this.#nodes()) {
      this.replaceSubscriber(node);
      try {
        await this.subscriber.connect();
        return;
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  }

  /** Cluster only: a subscriber connection to another node (or `node`), not yet connected. */
  replaceSubscriber(node?: RedisAddress): Redis {
    const endpoint = this.#options.shard.endpoint;
    if (endpoint.kind !== "cluster") throw new Error("Only a cluster's subscriber moves");
    const old = this.subscriber;
    const next = node ?? this.#nodes().find((n) => !same(n, old)) ?? endpoint.nodes[0];
    this.subscriber = connectClusterNode(endpoint, next, this.#options);
    this.#watcher?.(this.subscriber);
    old.disconnect();
    return this.subscriber;
  }

  /** Runs a script by its digest, sending its source once when Redis lost its script cache. */
  run(
    script: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    return this.#bounded((async () => {
      try {
        return await this.command.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
        return await this.command.eval(script.source, keys.length, ...keys, ...args);
      }
    })());
  }

  /**
   * Runs a write script whose reply ends with the replicas online when it
   * ran, and resolves with the reply once `min(wanted, online)` replicas
   * hold the write (see _replica_acks.ts); rejects otherwise, when the write
   * may have been applied. In a cluster the script goes straight to the
   * connection of the key's master, so the WAIT behind it covers it.
   */
  runAcked(
    script: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
    wanted: number,
  ): Promise<unknown> {
    const check = this.#check;
    this.#acks ??= new ReplicaAcks(
      wanted,
      Math.max(1, Math.floor(this.#options.commandTimeoutMs / 2)),
      check === undefined ? undefined : async (redis) => {
        if (await check.isMaster(redis)) return true;
        this.#moveOffReplacedMaster();
        return false;
      },
    );
    const acks = this.#acks;
    return this.#bounded((async () => {
      let withSource = false;
      for (let attempt = 0;; attempt++) {
        try {
          const redis = this.#writerOf(keys[0]);
          return await acks.write(
            redis,
            () =>
              withSource
                ? redis.eval(script.source, keys.length, ...keys, ...args)
                : redis.evalsha(script.sha, keys.length, ...keys, ...args),
          );
        } catch (error) {
          const message = error instanceof Error ? error.message : "";
          if (!withSource && message.startsWith("NOSCRIPT")) {
            withSource = true;
            continue;
          }
          if (attempt < 2 && this.isCluster && /^(MOVED|ASK|CLUSTERDOWN) /.test(message)) {
            // Not run: the slot moved (a failover). Learn the new owner, try again.
            await new Promise((resolve) => (this.command as Cluster).refreshSlotsCache(resolve));
            continue;
          }
          throw error;
        }
      }
    })());
  }

  /** Whether a command sent now would be written: ioredis's status lags behind a closed socket. */
  get commandsReady(): boolean {
    if (this.isCluster) return this.command.status === "ready";
    return this.command.status === "ready" && (this.command as Redis).stream?.writable === true;
  }

  /** The `maxmemory-policy` of the master (in a cluster, the first master's that is not `noeviction`). */
  async memoryPolicy(): Promise<string> {
    const policies = await Promise.all(
      this.#masters().map(async (redis) => {
        const reply = await redis.config("GET", "maxmemory-policy") as string[];
        return String(reply[1]);
      }),
    );
    return policies.find((p) => p !== "noeviction") ?? "noeviction";
  }

  /** The fewest replicas online at any master of the shard. */
  async replicasOnline(): Promise<number> {
    const counts = await Promise.all(
      this.#masters().map(async (redis) => {
        const info = await redis.info("replication");
        return info.match(/state=online/g)?.length ?? 0;
      }),
    );
    return Math.min(...counts);
  }

  /** Loads scripts into the master's cache (every master's, in a cluster). */
  async loadScripts(scripts: readonly Script[]): Promise<void> {
    await Promise.all(
      this.#masters().flatMap((redis) => scripts.map((s) => redis.script("LOAD", s.source))),
    );
  }

  /** Closes both sides and waits until their sockets are gone. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const timer of this.#revivals) clearTimeout(timer);
    this.#check?.close();
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

  /** Both connections go back to the Sentinels for the master (those between attempts are on their way). */
  #moveOffReplacedMaster(): void {
    for (const redis of [this.command as Redis, this.subscriber]) {
      if (redis.status === "ready") redis.disconnect(true);
    }
  }

  /** A connection ioredis ended while the engine runs is connected again (after a second). */
  #revive(redis: Redis): void {
    if (!this.#connected || this.#closing) return;
    const timer = setTimeout(() => {
      this.#revivals.delete(timer);
      if (!this.#closing && redis.status === "end") redis.connect().catch(() => {});
    }, 1000);
    this.#revivals.add(timer);
  }

  /** A cluster's known nodes, shuffled so hubs spread their subscribers, seeds when none is known. */
  #nodes(): RedisAddress[] {
    const endpoint = this.#options.shard.endpoint;
    if (endpoint.kind !== "cluster") return [];
    const known = (this.command as Cluster).nodes("all").map((redis) => ({
      host: String(redis.options.host),
      port: Number(redis.options.port),
    }));
    const nodes = known.length > 0 ? known : [...endpoint.nodes];
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
    }
    return nodes;
  }

  #masters(): (Redis | Cluster)[] {
    return this.isCluster ? (this.command as Cluster).nodes("master") : [this.command];
  }

  /** The connection writes of `key` go on: in a cluster, the one to the master of its slot. */
  #writerOf(key: string): Redis {
    if (!this.isCluster) return this.command as Redis;
    const cluster = this.command as Cluster;
    const owner = cluster.slots[keySlot(key)]?.[0];
    const master = cluster.nodes("master").find((redis) =>
      `${redis.options.host}:${redis.options.port}` === owner
    );
    if (master === undefined) {
      throw new Error(`CLUSTERDOWN no known master for the slot of '${key}'`);
    }
    return master;
  }

  /**
   * In a cluster: retries of MOVED and CLUSTERDOWN still fail within the
   * command timeout, and a failure that may come from a failover (a closed
   * connection to a dead master, CLUSTERDOWN) refreshes the slots at once,
   * so the next command goes to the new master. The failed command itself
   * is not sent again: it may have run.
   */
  #bounded<T>(work: Promise<T>): Promise<T> {
    if (!this.isCluster) return work;
    const cluster = this.command as Cluster;
    const { commandTimeoutMs } = this.#options;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Command timed out after ${commandTimeoutMs} ms`)),
        commandTimeoutMs,
      );
    });
    work.catch(() => {}); // its failure after the deadline is nobody's to handle
    return Promise.race([work, late]).catch((error) => {
      if (cluster.status === "ready") cluster.refreshSlotsCache();
      throw error;
    }).finally(() => clearTimeout(timer));
  }
}

function same(node: RedisAddress, redis: Redis): boolean {
  return node.host === String(redis.options.host) && node.port === Number(redis.options.port);
}
