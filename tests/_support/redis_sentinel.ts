// A Redis Sentinel set for tests: a master, a replica and three Sentinels,
// each a real redis-server process on free 127.0.0.1 ports (redis_server.ts),
// stopped by PID. Ready means what a failover needs: the replica's link is
// up, every Sentinel knows the replica, and `SENTINEL CKQUORUM` says the
// quorum and the failover authorization can be reached. Every wait polls a
// real answer with a deadline; nothing sleeps and hopes.

import { type RedisServer, startRedisServer } from "./redis_server.ts";

const READY_TIMEOUT_MS = 20_000;
const POLL_MS = 50;

export interface RedisSentinelSet extends AsyncDisposable {
  /** The master set's name, `mymaster`. */
  readonly masterName: string;
  /** `redis+sentinel://127.0.0.1:<s1>,127.0.0.1:<s2>,127.0.0.1:<s3>/mymaster` */
  readonly url: string;
  /** The two data servers; which one is the master changes with a failover. */
  readonly servers: readonly RedisServer[];
  readonly sentinels: readonly RedisServer[];
  /** The data server the Sentinels name as master now. */
  master(): Promise<RedisServer>;
  /** Waits until the Sentinels name a master other than `old` and it answers as one; returns it. */
  promoted(old: RedisServer, timeoutMs?: number): Promise<RedisServer>;
  /** Waits until `server` replicates the current master with its link up, online for the master. */
  replicating(server: RedisServer, timeoutMs?: number): Promise<void>;
  /** Stops every process. */
  stop(): Promise<void>;
}

export interface RedisSentinelSetOptions {
  /** `down-after-milliseconds`: how long the master must be silent before a failover. @default {1000} */
  readonly downAfterMs?: number;
  /** The master's and replica's password. @default {none} */
  readonly password?: string;
  /** The Sentinels' own password. @default {none} */
  readonly sentinelPassword?: string;
  /** Monitor the master as `localhost` and announce hostnames, as Kubernetes set-ups do. @default {false} */
  readonly hostnames?: boolean;
}

/** Starts a master, a replica and three Sentinels, and waits until a failover could happen. */
export async function startRedisSentinelSet(
  options: RedisSentinelSetOptions = {},
): Promise<RedisSentinelSet> {
  const masterName = "mymaster";
  const started: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s[Symbol.asyncDispose]()));
  };
  try {
    const { password, sentinelPassword } = options;
    const master = await startRedisServer({ password });
    started.push(master);
    const replica = await startRedisServer({
      args: ["--replicaof", "127.0.0.1", `${master.port}`],
      password,
    });
    started.push(replica);
    const config = [
      "bind 127.0.0.1",
      ...(options.hostnames
        ? ["sentinel resolve-hostnames yes", "sentinel announce-hostnames yes"]
        : []),
      `sentinel monitor ${masterName} ${
        options.hostnames ? "localhost" : "127.0.0.1"
      } ${master.port} 2`,
      `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
      // An aborted failover is tried again after twice this.
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 1`,
      ...(password === undefined ? [] : [`sentinel auth-pass ${masterName} ${password}`]),
      ...(sentinelPassword === undefined
        ? []
        : [`requirepass ${sentinelPassword}`, `sentinel sentinel-pass ${sentinelPassword}`]),
    ];
    const sentinels = await Promise.all(
      [0, 1, 2].map(() => startRedisServer({ sentinel: config, password: sentinelPassword })),
    );
    started.push(...sentinels);
    const servers = [master, replica];
    const set: RedisSentinelSet = {
      masterName,
      url: `redis+sentinel://${
        sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")
      }/${masterName}`,
      servers,
      sentinels,
      async master() {
        const reply = await sentinels[0].cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName);
        const port = Number(reply.split("\n").at(-1));

        const found = servers.find((s) => s.port === port);
        if (found === undefined) throw new Error(`Sentinel names an unknown master: ${reply}`);
        return found;
      },
      async promoted(old, timeoutMs = READY_TIMEOUT_MS) {
        let next: RedisServer | undefined;
        await until(`a master other than port ${old.port}`, timeoutMs, async () => {
          const named = await Promise.all(sentinels.map(async (s) => {
            const reply = await s.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName);
            return Number(reply.split("\n").at(-1));
          }));
          const port = named[0];
          if (port === old.port || named.some((p) => p !== port)) return false;
          next = servers.find((s) => s.port === port);
          return next !== undefined && /role:master/.test(await next.cli("INFO", "replication"));
        });
        return next!;
      },
      async replicating(server, timeoutMs = READY_TIMEOUT_MS) {
        await until(`port ${server.port} replicating`, timeoutMs, async () => {
          const info = await server.cli("INFO", "replication");
          if (!/role:slave/.test(info) || !/master_link_status:up/.test(info)) return false;
          const master = servers.find((s) => info.includes(`master_port:${s.port}`));
          const seen = await master?.cli("INFO", "replication");
          return seen !== undefined && new RegExp(`port=${server.port},state=online`).test(seen);
        });
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
    await set.replicating(replica);
    await until("the Sentinels' quorum", READY_TIMEOUT_MS, async () => {
      for (const sentinel of sentinels) {
        const quorum = await sentinel.cli("SENTINEL", "CKQUORUM", masterName);
        if (!quorum.startsWith("OK 3 usable")) return false;
        const replicas = await sentinel.cli("SENTINEL", "REPLICAS", masterName);
        if (!replicas.includes(`${replica.port}`)) return false;
      }
      return true;
    });
    return set;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls `check` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = ` (last error: ${(error as Error).message})`;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
