/**
 * The Redis URL forms the engine accepts, read into plain data: one server
 * (`redis://`, `rediss://`), a Sentinel-managed master
 * (`redis+sentinel://`) and a Redis Cluster (`redis+cluster://`). See
 * `docs/scaling.md`.
 *
 * @module
 */

import { redactRedisUrl } from "./redact_url.ts";

/**
 * A `host` and `port`, as read from a multi-host Redis URL.
 *
 * @example A Sentinel on its default port
 * ```ts
 * import type { RedisAddress } from "./redis_url.ts";
 *
 * const sentinel: RedisAddress = { host: "10.0.0.1", port: 26379 };
 * ```
 */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * What a Redis URL names: one server, a master found through Sentinels, or
 * the seed nodes of a Redis Cluster.
 *
 * @example A Sentinel-managed master
 * ```ts
 * import type { RedisEndpoint } from "./redis_url.ts";
 *
 * const endpoint: RedisEndpoint = {
 *   kind: "sentinel",
 *   sentinels: [{ host: "10.0.0.1", port: 26379 }],
 *   masterName: "mymaster",
 *   tls: false,
 * };
 * ```
 */
export type RedisEndpoint =
  | { readonly kind: "single"; readonly url: string }
  | {
    readonly kind: "sentinel";
    readonly sentinels: readonly RedisAddress[];
    readonly masterName: string;
    readonly username?: string;
    readonly password?: string;
    readonly sentinelPassword?: string;
    readonly tls: boolean;
  }
  | {
    readonly kind: "cluster";
    readonly nodes: readonly RedisAddress[];
    readonly username?: string;
    readonly password?: string;
    readonly tls: boolean;
  };

const MULTI_HOST = /^(rediss?)\+(sentinel|cluster):\/\/(.*)$/;
const MASTER_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const DEFAULT_PORT = { sentinel: 26379, cluster: 6379 } as const;

/**
 * Reads a Redis URL: `redis://[user:password@]host:port[/db]` (or
 * `rediss://`), `redis+sentinel://[user:password@]host:port,host:port/<master
 * name>[?sentinel_password=...]` (Sentinels default to port 26379; the
 * credentials are the data nodes'), or `redis+cluster://[user:password@]host:port,...`
 * (any of the cluster's nodes; the others are discovered). `rediss+` uses TLS.
 *
 * @param url The URL.
 * @returns What it names.
 * @throws {TypeError} When it is not one of these forms; the message never quotes a credential.
 *
 * @example Three Sentinels watching `mymaster`
 * ```ts
 * import { parseRedisUrl } from "./redis_url.ts";
 * import assert from "node:assert/strict";
 *
 * const endpoint = parseRedisUrl("redis+sentinel://:pw@10.0.0.1,10.0.0.2:26380/mymaster");
 * assert.equal(endpoint.kind, "sentinel");
 * assert.deepEqual(endpoint.kind === "sentinel" && endpoint.sentinels, [
 *   { host: "10.0.0.1", port: 26379 },
 *   { host: "10.0.0.2", port: 26380 },
 * ]);
 * ```
 */
export function parseRedisUrl(url: string): RedisEndpoint {
  if (typeof url !== "string") {
    throw new TypeError(`Invalid Redis URL: expected a string, got ${typeof url}`);
  }
  const multi = MULTI_HOST.exec(url);
  if (multi === null) return { kind: "single", url: checkSingle(url) };
  const [, scheme, kind, rest] = multi as unknown as [
    string,
    string,
    "sentinel" | "cluster",
    string,
  ];
  const redacted = redactRedisUrl(url);
  const shown = redacted.startsWith("(") ? redacted : `'${redacted}'`;
  const queryAt = rest.indexOf("?");
  const beforeQuery = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? "" : rest.slice(queryAt + 1));
  const slash = beforeQuery.indexOf("/");
  const authority = slash === -1 ? beforeQuery : beforeQuery.slice(0, slash);
  const path = slash === -1 ? "" : beforeQuery.slice(slash + 1);
  const at = authority.lastIndexOf("@");
  const credentials = at === -1 ? undefined : authority.slice(0, at);
  const hosts = authority.slice(at + 1).split(",").map((h) => h.trim()).filter((h) => h !== "");
  if (hosts.length === 0) throw new TypeError(`Invalid Redis URL ${shown}: it names no host`);
  const addresses = hosts.map((h) => address(h, DEFAULT_PORT[kind], shown));
  const auth = readCredentials(credentials, shown);
  const tls = scheme === "rediss";
  if (kind === "cluster") {
    if (path !== "" && path !== "0") {
      throw new TypeError(`Invalid Redis URL ${shown}: a cluster has database 0 only`);
    }
    return { kind, nodes: addresses, ...auth, tls };
  }
  const masterName = decodeURIComponent(path.replace(/\/$/, ""));
  if (!MASTER_NAME.test(masterName)) {
    throw new TypeError(
      `Invalid Redis URL ${shown}: expected the master name after the Sentinels, such as /mymaster`,
    );
  }
  const sentinelPassword = query.get("sentinel_password") ?? undefined;
  return {
    kind,
    sentinels: addresses,
    masterName,
    ...auth,
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
    tls,
  };
}

function checkSingle(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Never quote an unparsable value: it may be a password pasted in the wrong place.
  }
  if (
    parsed === undefined || (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") ||
    parsed.hostname === ""
  ) {
    const seen = parsed === undefined ? "an unparsable URL" : `'${parsed.protocol}//…'`;
    throw new TypeError(
      `Invalid Redis URL: expected redis://, rediss://, redis+sentinel:// or redis+cluster:// with a host, got ${seen}`,
    );
  }
  return url;
}

function address(text: string, defaultPort: number, shown: string): RedisAddress {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(text);
  const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new TypeError(
      `Invalid Redis URL ${shown}: expected host or host:port between the commas`,
    );
  }
  return { host: match[1].replace(/^\[(.*)\]$/, "$1"), port };
}

function readCredentials(
  credentials: string | undefined,
  shown: string,
): { username?: string; password?: string } {
  if (credentials === undefined) return {};
  const colon = credentials.indexOf(":");
  try {
    const username = decodeURIComponent(colon === -1 ? credentials : credentials.slice(0, colon));
    const password = colon === -1 ? undefined : decodeURIComponent(credentials.slice(colon + 1));
    return {
      ...(username === "" ? {} : { username }),
      ...(password === undefined || password === "" ? {} : { password }),
    };
  } catch {
    throw new TypeError(`Invalid Redis URL ${shown}: the credentials are not percent-encoded`);
  }
}
