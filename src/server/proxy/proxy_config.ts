/**
 * The `proxy` section of the server's config file: which of the hub's
 * decisions are delegated over HTTP to the application's backend, where,
 * and within which limits. The wire format is in `docs/proxy.md`.
 *
 * @module
 */

/** One backend endpoint. */
export interface ProxyEndpoint {
  /** The `http://` or `https://` URL the hub POSTs to. */
  url: string;
  /**
   * Time limit of one call in ms; past it the client gets `TIMEOUT`.
   *
   * @default {2000}
   */
  timeoutMs?: number;
  /**
   * Headers of the client's upgrade request forwarded to a `connect` call
   * (`cookie` forwards the cookies; `origin` lets the backend refuse
   * cross-site pages). Other calls carry no client headers: they happen
   * after the upgrade.
   *
   * @default {["cookie", "origin"]}
   */
  headers?: string[];
}

/** An RPC endpoint and the methods it answers. */
export interface RpcProxyEndpoint extends ProxyEndpoint {
  /** Method names, or prefixes ending in `*` (`"chat.*"`, `"*"` for all). */
  methods: string[];
}

/** The `proxy` section of the config file. */
export interface ProxyConfig {
  /**
   * The HS256 secret (at least 32 bytes) the hub signs each call's
   * `Authorization: Bearer` JWT with (`REALTIME_PROXY_SECRET` wins).
   */
  secret?: string;
  /**
   * Most proxy calls in flight at once; more wait for a free place within
   * their own time limit.
   *
   * @default {64}
   */
  maxConcurrent?: number;
  /** Admits an upgrade by the application's own session (cookies, headers), with no JWT. */
  connect?: ProxyEndpoint;
  /**
   * Extends the credentials of a session the connect proxy admitted, when
   * its `expiresAt` nears (instead of `token_expiring`: it has no token).
   */
  refresh?: ProxyEndpoint;
  /** Allows or refuses a subscribe the ACL allowed, optionally with initial data. */
  subscribe?: ProxyEndpoint;
  /** Allows, refuses or rewrites a publication the ACL allowed. */
  publish?: ProxyEndpoint;
  /** Answers clients' `rpc` requests. */
  rpc?: RpcProxyEndpoint[];
}

/** The default time limit of one proxy call, in ms. */
export const DEFAULT_PROXY_TIMEOUT_MS = 2000;
/** The default bound on proxy calls in flight. */
export const DEFAULT_PROXY_MAX_CONCURRENT = 64;

/**
 * Checks a `proxy` section, throwing a `TypeError` naming the first field
 * that is wrong. Never quotes the secret.
 *
 * @param config The section as read from the file.
 * @returns The same section.
 * @throws {TypeError} When a field is missing or of the wrong kind.
 *
 * @example Check a section
 * ```ts
 * import { checkProxyConfig } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * const config = checkProxyConfig({
 *   secret: "a-proxy-secret-of-at-least-32-bytes!",
 *   publish: { url: "http://127.0.0.1:8001/realtime/publish" },
 * });
 * assert.equal(config.publish?.url, "http://127.0.0.1:8001/realtime/publish");
 * assert.throws(() => checkProxyConfig({ publish: { url: "ftp://x" } }));
 * ```
 */
export function checkProxyConfig(config: ProxyConfig): ProxyConfig {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new TypeError(`Cannot use 'proxy': expected an object, got ${kind(config)}`);
  }
  const known = ["secret", "maxConcurrent", "connect", "refresh", "subscribe", "publish", "rpc"];
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Cannot use 'proxy.${key.slice(0, 64)}': the fields are ${known.join(", ")}`,
      );
    }
  }
  const { secret, maxConcurrent } = config;
  if (secret !== undefined && (typeof secret !== "string" || byteLength(secret) < 32)) {
    throw new TypeError(
      `Cannot use 'proxy.secret' as it has ${
        typeof secret === "string" ? byteLength(secret) : 0
      } bytes: at least 32 are required`,
    );
  }
  if (maxConcurrent !== undefined && !positive(maxConcurrent)) {
    throw new TypeError(
      `Cannot use 'proxy.maxConcurrent' ${kind(maxConcurrent)}: expected a positive integer`,
    );
  }
  for (const name of ["connect", "refresh", "subscribe", "publish"] as const) {
    if (config[name] !== undefined) checkEndpoint(config[name], `proxy.${name}`);
  }
  if (config.rpc !== undefined) {
    if (!Array.isArray(config.rpc)) {
      throw new TypeError(`Cannot use 'proxy.rpc': expected an array, got ${kind(config.rpc)}`);
    }
    config.rpc.forEach((endpoint, i) => {
      checkEndpoint(endpoint, `proxy.rpc[${i}]`);
      if (
        !Array.isArray(endpoint.methods) || endpoint.methods.length === 0 ||
        !endpoint.methods.every((m) =>
          typeof m === "string" && /^[A-Za-z0-9_.:/-]{0,128}\*?$/.test(m) && m !== ""
        )
      ) {
        throw new TypeError(
          `Cannot use 'proxy.rpc[${i}].methods': expected method names or prefixes ending in '*'`,
        );
      }
    });
  }
  const any = config.connect ?? config.refresh ?? config.subscribe ?? config.publish ?? config.rpc;
  if (any !== undefined && config.secret === undefined) {
    throw new TypeError(
      "Cannot call the backend without 'proxy.secret' (or REALTIME_PROXY_SECRET): the hub signs every call with it",
    );
  }
  return config;
}

function checkEndpoint(endpoint: ProxyEndpoint, name: string): void {
  if (typeof endpoint !== "object" || endpoint === null) {
    throw new TypeError(`Cannot use '${name}': expected an object, got ${kind(endpoint)}`);
  }
  let url: URL | undefined;
  try {
    url = new URL(endpoint.url);
  } catch { /* reported below */ }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError(`Cannot use '${name}.url': expected an http:// or https:// URL`);
  }
  if (endpoint.timeoutMs !== undefined && !positive(endpoint.timeoutMs)) {
    throw new TypeError(
      `Cannot use '${name}.timeoutMs' ${kind(endpoint.timeoutMs)}: expected a positive integer`,
    );
  }
  if (
    endpoint.headers !== undefined &&
    (!Array.isArray(endpoint.headers) || !endpoint.headers.every((h) => typeof h === "string"))
  ) {
    throw new TypeError(`Cannot use '${name}.headers': expected an array of header names`);
  }
}

function positive(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "number" ? String(value) : typeof value;
}
