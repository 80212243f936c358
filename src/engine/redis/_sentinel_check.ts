// Whether the master a connection writes to is still the master, asked of
// the Sentinels. A master that lost its replica may simply be alone (its
// replica died), or may have been replaced: during SENTINEL FAILOVER or a
// partition the old master keeps accepting writes until it is demoted, and
// loses them then. Before a write is acknowledged without a replica, the
// engine asks every Sentinel which master they name: if one names another
// server that answers as a master, the connection is on a replaced master.
// A named server that does not answer (the dead old master, while a Sentinel
// has not heard of the failover yet) does not count against it, nor does one
// that is the same server under another name (Sentinels that announce
// hostnames): servers are told apart by their run_id.

import { Redis } from "ioredis";
import { backoff, type ConnectOptions } from "./_connect.ts";
import type { RedisEndpoint } from "./redis_url.ts";

type SentinelEndpoint = Extract<RedisEndpoint, { kind: "sentinel" }>;

export class SentinelCheck {
  #endpoint: SentinelEndpoint;
  #options: ConnectOptions;
  #sentinels: Redis[] | undefined;

  constructor(endpoint: SentinelEndpoint, options: ConnectOptions) {
    this.#endpoint = endpoint;
    this.#options = options;
  }

  /** Whether `redis` is connected to the master no Sentinel contradicts; false when no Sentinel answers. */
  async isMaster(redis: Redis): Promise<boolean> {
    const here = address(redis.stream?.remoteAddress, redis.stream?.remotePort);
    if (here === undefined) return false;
    const named = await Promise.allSettled(
      this.#connections().map((s) =>
        s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", this.#endpoint.masterName) as Promise<
          string[]
        >
      ),
    );
    const answers = named.flatMap((r) =>
      r.status === "fulfilled" && Array.isArray(r.value) ? [address(r.value[0], r.value[1])!] : []
    );
    if (answers.length === 0) return false;
    const others = [...new Set(answers.filter((a) => a !== here))];
    if (others.length === 0) return true;
    const ours = runId(await redis.info("server"));
    const masters = await Promise.all(others.map((other) => this.#masterRunId(other)));
    return masters.every((id) => id === undefined || id === ours);
  }

  /** Disconnects from the Sentinels. */
  close(): void {
    for (const sentinel of this.#sentinels ?? []) sentinel.disconnect();
    this.#sentinels = undefined;
  }

  #connections(): Redis[] {
    const { tls, sentinelPassword } = this.#endpoint;
    this.#sentinels ??= this.#endpoint.sentinels.map(({ host, port }) => {
      const sentinel = new Redis({
        host,
        port,
        password: sentinelPassword,
        tls: tls ? {} : undefined,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: backoff,
        commandTimeout: this.#options.commandTimeoutMs,
        connectTimeout: this.#options.connectTimeoutMs,
        connectionName: `${this.#options.name}:check`,
      });
      sentinel.on("error", () => {});
      return sentinel;
    });
    return this.#sentinels;
  }

  /** The run_id of the server at "host:port" if it answers as a master. */
  async #masterRunId(at: string): Promise<string | undefined> {
    const colon = at.lastIndexOf(":");
    const { tls, username, password } = this.#endpoint;
    const probe = new Redis({
      host: at.slice(0, colon),
      port: Number(at.slice(colon + 1)),
      username,
      password,
      tls: tls ? {} : undefined,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      commandTimeout: this.#options.commandTimeoutMs,
      connectTimeout: this.#options.connectTimeoutMs,
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      const role = await probe.role() as unknown[];
      return role[0] === "master" ? runId(await probe.info("server")) : undefined;
    } catch {
      return undefined;
    } finally {
      probe.disconnect();
    }
  }
}

function runId(info: string): string {
  return /run_id:(\w+)/.exec(info)?.[1] ?? "";
}

function address(host: unknown, port: unknown): string | undefined {
  if (typeof host !== "string" || host === "") return undefined;
  return `${host.replace(/^::ffff:/, "")}:${Number(port)}`;
}
