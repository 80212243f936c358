// Where the engine's Redis is, from whichever of `url`, `urls`, `sentinel`
// and `cluster` was given: a list of endpoints, one per shard. A cluster
// shards by itself, so it is always alone. Every shard has a ring key (what
// consistent hashing places on the ring) that is the same on every hub
// whatever order its addresses were written in.

import type { RedisClusterOptions, RedisSentinelOptions } from "./options.ts";
import { parseRedisUrl, type RedisEndpoint } from "./redis_url.ts";
import { redactRedisUrl } from "./redact_url.ts";

/** One shard: what to connect to, how it is shown, and its place on the ring. */
export interface ShardEndpoint {
  readonly endpoint: RedisEndpoint;
  /** Shown in logs, errors and health: a URL without credentials. */
  readonly identity: string;
  readonly ringKey: string;
}

export function resolveEndpoints(options: {
  url?: unknown;
  urls?: unknown;
  sentinel?: unknown;
  cluster?: unknown;
}): ShardEndpoint[] {
  const given = (["url", "urls", "sentinel", "cluster"] as const).filter((k) =>
    options[k] !== undefined
  );
  if (given.length !== 1) {
    throw new TypeError(
      `Invalid Redis engine options: give exactly one of 'url', 'urls', 'sentinel' and 'cluster', got ${
        given.length === 0 ? "none" : `'${given.join("', '")}'`
      }`,
    );
  }
  if (options.sentinel !== undefined) return [shard(fromSentinel(options.sentinel))];
  if (options.cluster !== undefined) return [shard(fromCluster(options.cluster))];
  const list = options.url !== undefined ? [options.url] : options.urls;
  if (!Array.isArray(list) || list.length === 0 || list.length > 1024) {
    throw new TypeError("Invalid 'urls': expected 1 to 1024 Redis URLs");
  }
  const shards = list.map((url) => shard(parseRedisUrl(url)));
  if (shards.length > 1 && shards.some((s) => s.endpoint.kind === "cluster")) {
    throw new TypeError(
      "Invalid 'urls': a Redis Cluster spreads topics over its own nodes: give its redis+cluster:// URL alone",
    );
  }
  if (new Set(shards.map((s) => s.ringKey)).size !== shards.length) {
    throw new TypeError("Invalid 'urls': a URL is repeated");
  }
  return shards;
}

function shard(endpoint: RedisEndpoint): ShardEndpoint {
  if (endpoint.kind === "single") {
    const identity = redactRedisUrl(endpoint.url);
    return { endpoint, identity, ringKey: identity };
  }
  const scheme = `redis${endpoint.tls ? "s" : ""}+${endpoint.kind}://`;
  const list = endpoint.kind === "sentinel" ? endpoint.sentinels : endpoint.nodes;
  const hosts = list.map((a) =>
    a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
  );
  const path = endpoint.kind === "sentinel" ? `/${endpoint.masterName}` : "";
  return {
    endpoint,
    identity: `${scheme}${endpoint.username ?? endpoint.password ? "***@" : ""}${
      hosts.join(",")
    }${path}`,
    ringKey: `${scheme}${[...hosts].sort().join(",")}${path}`,
  };
}

function fromSentinel(value: unknown): RedisEndpoint {
  const options = object(value, "sentinel") as RedisSentinelOptions;
  const { addresses, masterName, tls = false } = options;
  checkAddresses(addresses, "sentinel.addresses");
  if (typeof masterName !== "string") {
    throw new TypeError(
      `Invalid 'sentinel.masterName': expected a string, got ${typeof masterName}`,
    );
  }
  const endpoint = parseRedisUrl(
    `redis${tls === true ? "s" : ""}+sentinel://${addresses.join(",")}/${
      encodeURIComponent(masterName)
    }`,
  );
  return {
    ...endpoint,
    ...secrets(options, ["username", "password", "sentinelPassword"]),
  } as RedisEndpoint;
}

function fromCluster(value: unknown): RedisEndpoint {
  const options = object(value, "cluster") as RedisClusterOptions;
  checkAddresses(options.nodes, "cluster.nodes");
  const endpoint = parseRedisUrl(
    `redis${options.tls === true ? "s" : ""}+cluster://${options.nodes.join(",")}`,
  );
  return { ...endpoint, ...secrets(options, ["username", "password"]) } as RedisEndpoint;
}

function object(value: unknown, name: string): object {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Invalid '${name}': expected an object`);
  }
  return value;
}

function checkAddresses(list: unknown, name: string): asserts list is string[] {
  if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== "string")) {
    throw new TypeError(`Invalid '${name}': expected a non-empty list of 'host:port' strings`);
  }
}

/** The credential fields that are set, each checked to be a string (never echoed). */
function secrets(options: object, names: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of names) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== "string") {
      throw new TypeError(`Invalid '${name}': expected a string, got ${typeof value}`);
    }
    found[name] = value;
  }
  return found;
}
