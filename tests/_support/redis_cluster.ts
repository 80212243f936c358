// A Redis Cluster for tests: three masters, each with one replica, every node
// a real redis-server process on free 127.0.0.1 ports (its bus on another),
// created offline with `redis-cli --cluster create ... --cluster-yes` and
// stopped by PID. Ready means every node reports `cluster_state:ok`, every
// replica's link is up and every master counts its replicas online, so a
// failover can happen at once and WAIT has replicas to wait for.

import { type RedisServer, startRedisServer } from "./redis_server.ts";
import { until } from "./redis_sentinel.ts";

const READY_TIMEOUT_MS = 20_000;

export interface RedisClusterSet extends AsyncDisposable {
  /** `redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,...` (every node). */
  readonly url: string;
  readonly nodes: readonly RedisServer[];
  /** The node that is master of `key`'s slot now. */
  masterOf(key: string): Promise<RedisServer>;
  /** Waits until `key`'s slot has a master other than `old` and every live node agrees the cluster is ok; returns it. */
  promoted(key: string, old: RedisServer, timeoutMs?: number): Promise<RedisServer>;
  /** Stops every node. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Masters. @default {3} */
  readonly masters?: number;
  /** Replicas of each master. @default {1} */
  readonly replicas?: number;
  /** `cluster-node-timeout`: how long a master must be silent before its replica takes over. @default {1000} */
  readonly nodeTimeoutMs?: number;
  /** Every node's password. @default {none} */
  readonly password?: string;
}

/** Starts the nodes, creates the cluster and waits until it serves every slot with replicas linked. */
export async function startRedisCluster(
  options: RedisClusterOptions = {},
): Promise<RedisClusterSet> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const started: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s[Symbol.asyncDispose]()));
  };
  try {
    const nodes = await Promise.all(
      Array.from(
        { length: masters * (1 + replicas) },
        () => startRedisServer({ clusterNodeTimeoutMs: nodeTimeoutMs, password: options.password }),
      ),
    );
    started.push(...nodes);
    const out = await new Deno.Command("redis-cli", {
      args: [
        "--cluster",
        "create",
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        "--cluster-replicas",
        `${replicas}`,
        "--cluster-yes",
        ...(options.password === undefined ? [] : ["-a", options.password, "--no-auth-warning"]),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success || !text.includes("All 16384 slots covered")) {
      throw new Error(`redis-cli --cluster create failed: ${text.slice(-400)}`);
    }
    const alive = () => nodes.filter((n) => n.pid !== -1);
    const masterOf = async (key: string) => {
      const slot = Number(await nodes.find((n) => n.pid !== -1)!.cli("CLUSTER", "KEYSLOT", key));
      for (const node of alive()) {
        const info = await node.cli("INFO", "replication");
        if (!/role:master/.test(info)) continue;
        const shards = await node.cli("CLUSTER", "NODES");
        const mine = shards.split("\n").find((line) => line.includes("myself"));
        const ranges = mine?.split(" ").slice(8) ?? [];
        for (const range of ranges) {
          const [lo, hi = lo] = range.split("-").map(Number);
          if (slot >= lo && slot <= hi) return node;
        }
      }
      throw new Error(`No live master serves slot ${slot}`);
    };
    const healthy = async () => {
      for (const node of alive()) {
        if (!(await node.cli("CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
        const info = await node.cli("INFO", "replication");
        if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) return false;
        // A master counts a replica as online (for WAIT) once it acknowledged the sync.
        if (/role:master/.test(info) && (info.match(/state=online/g)?.length ?? 0) < replicas) {
          return false;
        }
      }
      return true;
    };
    await until("the cluster's state ok with replicas linked", READY_TIMEOUT_MS, healthy);
    return {
      url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`,
      nodes,
      masterOf,
      async promoted(key, old, timeoutMs = READY_TIMEOUT_MS) {
        let next: RedisServer | undefined;
        await until(`a new master for '${key}'`, timeoutMs, async () => {
          next = await masterOf(key);
          if (next === old) return false;
          for (const node of alive()) {
            if (!(await node.cli("CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
          }
          return true;
        });
        return next!;
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
