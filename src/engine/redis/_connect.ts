// The ioredis connections of each kind of endpoint, with the failure knobs
// the engine depends on (docs/scaling.md, "Client library"): a command never
// waits in a queue while disconnected, is never sent twice, and fails within
// `commandTimeoutMs`; reconnects back off 50 ms × attempt, at most 1 s.

import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisAddress, RedisEndpoint } from "./redis_url.ts";

/** How a shard's connections behave. */
export interface ConnectOptions {
  /** Prefix of each connection's CLIENT SETNAME. */
  readonly name: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

type SentinelEndpoint = Extract<RedisEndpoint, { kind: "sentinel" }>;
type ClusterEndpoint = Extract<RedisEndpoint, { kind: "cluster" }>;

export function backoff(times: number): number {
  return Math.min(50 * times, 1000);
}

function failFast(options: ConnectOptions, role: string) {
  return {
    // Never queue a command while disconnected, never resend one after a
    // reconnect: a caller gets an error within the bound, not a late effect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // The engine resubscribes itself and verifies the result.
    autoResubscribe: false,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    connectionName: `${options.name}:${role}`,
  } satisfies RedisOptions;
}

/** One connection to a single server, or to the master a set of Sentinels names. */
export function connectServer(
  endpoint: Exclude<RedisEndpoint, ClusterEndpoint>,
  options: ConnectOptions,
  role: string,
): Redis {
  const common = { ...failFast(options, role), lazyConnect: true, retryStrategy: backoff };
  if (endpoint.kind === "single") return new Redis(endpoint.url, common);
  return new Redis(sentinelOptions(endpoint, options, common));
}

function sentinelOptions(
  endpoint: SentinelEndpoint,
  options: ConnectOptions,
  common: RedisOptions,
): RedisOptions {
  const tls = endpoint.tls ? {} : undefined;
  return {
    ...common,
    sentinels: endpoint.sentinels.map(({ host, port }) => ({ host, port })),
    name: endpoint.masterName,
    // Each (re)connect asks the Sentinels for the master and checks its
    // role, so a failover is followed by the next reconnect.
    role: "master",
    username: endpoint.username,
    password: endpoint.password,
    sentinelPassword: endpoint.sentinelPassword,
    tls,
    sentinelTLS: tls,
    enableTLSForSentinelMode: endpoint.tls,
    sentinelRetryStrategy: backoff,
    sentinelCommandTimeout: options.commandTimeoutMs,
    // No failoverDetector: its +switch-master handler can land during a
    // reconnect and end the connection for good (ioredis 6.0.0). A dead
    // master closes the socket; a Sentinel demoting a live one kills its
    // clients; and a master demoted under a live connection answers writes
    // with READONLY: reconnect (without resending) to find the new one.
    reconnectOnError: (error: Error) => error.message.startsWith("READONLY") ? 1 : false,
  };
}

/** The command side of a Redis Cluster: slots learned from any seed, commands routed to their master. */
export function connectCluster(endpoint: ClusterEndpoint, options: ConnectOptions): Cluster {
  const { enableOfflineQueue: _queue, ...perNode } = failFast(options, "cmd");
  return new Cluster(endpoint.nodes.map(({ host, port }) => ({ host, port })), {
    lazyConnect: true,
    enableOfflineQueue: false,
    scaleReads: "master",
    // "Connection is closed" leaves unknown whether the command ran: never
    // resend it. MOVED, ASK, TRYAGAIN and CLUSTERDOWN mean it did not run.
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    clusterRetryStrategy: backoff,
    slotsRefreshTimeout: options.commandTimeoutMs,
    slotsRefreshInterval: 5000,
    redisOptions: {
      ...perNode,
      username: endpoint.username,
      password: endpoint.password,
      tls: endpoint.tls ? {} : undefined,
    },
  });
}

/**
 * A subscriber connection to one node of a cluster (plain PUBLISH reaches
 * every node). It retries its node twice, then ends so the engine moves to
 * another node: a node that died may never come back.
 */
export function connectClusterNode(
  endpoint: ClusterEndpoint,
  node: RedisAddress,
  options: ConnectOptions,
): Redis {
  return new Redis({
    ...failFast(options, "sub"),
    host: node.host,
    port: node.port,
    username: endpoint.username,
    password: endpoint.password,
    tls: endpoint.tls ? {} : undefined,
    lazyConnect: true,
    retryStrategy: (times: number) => times <= 2 ? backoff(times) : null,
  });
}
