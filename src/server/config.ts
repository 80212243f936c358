/**
 * Server configuration from a JSON file and environment variables, as used
 * by `deno task start` and `realtime-cli serve`.
 *
 * @module
 */

import type { JwtOptions } from "../auth/verify.ts";
import type { PlainHubOptions } from "../hub/options.ts";
import type { Transport } from "./serve.ts";
import { checkEngineConfig, type EngineConfig, parseRedisUrls } from "./engine_config.ts";
import { parseAccountsLocation } from "./_accounts_location.ts";
import { checkSigningKeyFiles } from "./_signing_key_files.ts";
import { suggestNames } from "./_suggest_name.ts";
import { checkProxyConfig, type ProxyConfig } from "./proxy/proxy_config.ts";
import { checkWebhookConfig, type WebhookConfig } from "./webhooks/webhook_config.ts";

/** What a config file may hold (all optional; environment variables win). */
export interface ServerConfig extends PlainHubOptions {
  /** Port. @default {8000} */
  port?: number;
  /** Interface to bind. @default {"127.0.0.1"} with a development key, else `"0.0.0.0"` */
  hostname?: string;
  /** Transport adapter. @default {"ws"} */
  transport?: Transport;
  /**
   * Anything but `"development"` (or unset) refuses to start with a
   * generated development key.
   */
  env?: string;
  /**
   * How a refused upgrade is answered. The server's default is not the
   * hub's: `"close"` accepts the upgrade and closes it at once with 4001 and
   * the reason (`Token signature is invalid`), which a browser can read and
   * show, where an HTTP 401 reaches its script only as a network failure.
   * `"http"` answers 401/403 before the upgrade.
   *
   * @default {"close"}
   */
  reject?: "http" | "close";
  /** The admin API key (`REALTIME_ADMIN_KEY`); without it and without admin JWTs the admin API answers 401. */
  adminKey?: string;
  /** Role an admin JWT must carry. @default {"admin"} */
  adminRole?: string;
  /** The `aud` an admin JWT must carry, distinct from the hub's audience. @default {"realtime-admin"} */
  adminAudience?: string;
  /** Prefix of the admin API. @default {"/v1/realtime"} */
  adminPrefix?: string;
  /**
   * Where the operator console is served, or `false` for nowhere.
   *
   * @default {"/admin"} when `adminKey` is set or the development key is in use, else off
   */
  consolePath?: string | false;
  /**
   * Where the SSE door is mounted (`GET <ssePath>?topic=…`), or `false`
   * for nowhere (`docs/protocol.md`, "Server-Sent Events").
   *
   * @default {"/sse"}
   */
  ssePath?: string | false;
  /**
   * Where HTTP publish is mounted (`POST <publishPath>`), or `false` for
   * nowhere (`docs/protocol.md`, "HTTP publish").
   *
   * @default {"/publish"}
   */
  publishPath?: string | false;
  /**
   * Whether the demo page (its script, styles, and with the development key
   * `POST /dev/token`) is served at `/` (`REALTIME_DEMO=on` or `off`). Off
   * wherever `env` is set to anything but `"development"`, unless set `true`:
   * a production server's `/` is the application's, not a chat demo.
   *
   * @default {true} when `env` is unset or `"development"`, else `false`
   */
  demo?: boolean;
  /**
   * `/metrics`: `"public"`, `"admin"` (behind the admin credential) or `"off"`.
   *
   * @default {"public"} with the development key, else `"admin"`
   */
  metrics?: "public" | "admin" | "off";
  /** Serve `/metrics` on this port instead of the main one (`REALTIME_METRICS_PORT`). */
  metricsPort?: number;
  /**
   * The engine: `{ "redis": { "urls": ["redis://host:6379"] } }` to share
   * topics, history and presence with other hub processes through Redis
   * (`REALTIME_REDIS_URL` replaces the URLs). Redis unreachable at start
   * stops the server with one error line naming the URL (credentials
   * redacted).
   *
   * @default {"memory"} (one process)
   */
  engine?: EngineConfig;
  /**
   * Where the `/auth/*` accounts keep users (`REALTIME_ACCOUNTS`):
   * `"sqlite:<file>"` or a `postgres://` URL, or `false` for no accounts.
   * Needs a shared secret (`REALTIME_JWT_SECRET`) to mint tokens with.
   * Sign-up stays closed on a configured server: operators add users.
   *
   * @default {"sqlite:.realtime/accounts.db" with the development key, else no accounts}
   */
  accounts?: string | false;
  /**
   * The publication signing keys of `POST /broadcast {"sign": "<id>"}`, as
   * paths of key files by key id: `{ "pricing": "/run/secrets/pricing.key" }`.
   * A file holds a shared secret (at least 32 bytes), a PKCS#8 PEM private
   * key or a private JWK (JSON); each is read and checked once at start, and
   * no error quotes a file's text or path.
   *
   * @default {{}}
   */
  adminSigningKeys?: Record<string, string>;
  /**
   * Decisions delegated over HTTP to the application's backend: connect (by
   * the application's own session cookie, with no JWT), subscribe, publish
   * and RPC, each with its URL, time limit and forwarded headers; the hub
   * signs each call with `secret` (`REALTIME_PROXY_SECRET`). See
   * docs/proxy.md.
   *
   * @default {undefined} (no proxies)
   */
  proxy?: ProxyConfig;
  /**
   * Event webhooks: connections opened and closed, presence joins and
   * leaves, and publications on chosen topics, posted to `url` in signed
   * batches (`secret`, or `REALTIME_WEBHOOK_SECRET`), retried with backoff,
   * bounded in memory. See docs/webhooks.md.
   *
   * @default {undefined} (no webhooks)
   */
  webhooks?: WebhookConfig;
}

/** The `REALTIME_*` variables the server reads, each documented in docs/configuration.md. */
const SERVER_ENV_VARIABLES: readonly string[] = [
  "REALTIME_HOST",
  "REALTIME_TRANSPORT",
  "REALTIME_ENV",
  "REALTIME_JWT_SECRET",
  "REALTIME_JWT_PUBLIC_KEY",
  "REALTIME_JWKS_URL",
  "REALTIME_JWT_ALGORITHMS",
  "REALTIME_JWT_ISSUER",
  "REALTIME_JWT_AUDIENCE",
  "REALTIME_ALLOWED_ORIGINS",
  "REALTIME_ADMIN_KEY",
  "REALTIME_METRICS",
  "REALTIME_METRICS_PORT",
  "REALTIME_REDIS_URL",
  "REALTIME_ACCOUNTS",
  "REALTIME_DEMO",
  "REALTIME_CONFIG",
  "REALTIME_PROXY_SECRET",
  "REALTIME_WEBHOOK_SECRET",
];

/**
 * `REALTIME_*` variables that belong to `realtime-cli`: accepted, not read
 * here, so a shell set up for the CLI can start a hub. Every name `src/cli/`
 * reads must be here (tests/server/env_docs_test.ts checks).
 */
const CLI_ENV_VARIABLES: readonly string[] = [
  "REALTIME_TOKEN",
  "REALTIME_URL",
  "REALTIME_ACCOUNTS_DB",
  "REALTIME_REFRESH_FILE",
];

/**
 * Reads a config file (when named) and overlays the documented environment
 * variables: `PORT`, `REALTIME_HOST`, `REALTIME_TRANSPORT`, `REALTIME_ENV`,
 * `REALTIME_JWT_SECRET`, `REALTIME_JWT_PUBLIC_KEY`, `REALTIME_JWKS_URL`,
 * `REALTIME_JWT_ALGORITHMS`, `REALTIME_JWT_ISSUER`, `REALTIME_JWT_AUDIENCE`,
 * `REALTIME_ALLOWED_ORIGINS`, `REALTIME_ADMIN_KEY`, `REALTIME_METRICS`,
 * `REALTIME_METRICS_PORT`, `REALTIME_REDIS_URL` (a comma-separated list of
 * Redis shards, a `redis+sentinel://` or a `redis+cluster://` URL: the Redis
 * engine), `REALTIME_ACCOUNTS`, `REALTIME_DEMO` (`on` or `off`),
 * `REALTIME_CONFIG` (the file, when `path` is absent), `REALTIME_PROXY_SECRET`
 * (the secret the hub signs its proxy calls with), `REALTIME_WEBHOOK_SECRET`
 * (the secret the hub signs its webhooks with).
 * Any other `REALTIME_*` name is refused, so a misspelt setting cannot be
 * silently ignored (`REALTIME_TOKEN`, `REALTIME_URL`, `REALTIME_ACCOUNTS_DB` and
 * `REALTIME_REFRESH_FILE` belong to `realtime-cli` and are let through).
 *
 * @param env The environment.
 * @param path A JSON config file.
 * @returns The merged configuration.
 * @throws {TypeError} When a `REALTIME_*` name is unknown or a value is not allowed.
 * @throws {RangeError} When a port is out of range or the admin key is too short.
 *
 * @example Configure from the environment
 * ```ts
 * import { loadServerConfig } from "@realtime/hub/server";
 * import assert from "node:assert/strict";
 *
 * const config = await loadServerConfig({ PORT: "9000", REALTIME_TRANSPORT: "deno" });
 * assert.equal(config.port, 9000);
 * ```
 */
export async function loadServerConfig(
  env: Record<string, string | undefined>,
  path?: string,
): Promise<ServerConfig> {
  checkNames(env);
  const file = path ?? env.REALTIME_CONFIG;
  let config: ServerConfig = {};
  if (file !== undefined && file !== "") {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new TypeError(`Cannot read config file '${file}': ${(error as Error).message}`);
    }
    try {
      config = JSON.parse(text);
    } catch {
      throw new TypeError(`Cannot parse config file '${file}': it is not valid JSON`);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      throw new TypeError(`Cannot use config file '${file}': it must hold a JSON object`);
    }
  }
  const auth: Omit<JwtOptions, "now" | "fetch"> = { ...config.auth };
  const keyFromEnv = env.REALTIME_JWT_SECRET !== undefined ||
    env.REALTIME_JWT_PUBLIC_KEY !== undefined ||
    env.REALTIME_JWKS_URL !== undefined;
  if (keyFromEnv) {
    delete auth.secret;
    delete auth.publicKey;
    delete auth.jwks;
    delete auth.jwksUrl;
  }
  if (env.REALTIME_JWT_SECRET !== undefined) auth.secret = env.REALTIME_JWT_SECRET;
  if (env.REALTIME_JWT_PUBLIC_KEY !== undefined) {
    const text = env.REALTIME_JWT_PUBLIC_KEY.trim();
    if (text.startsWith("{")) {
      try {
        auth.publicKey = JSON.parse(text);
      } catch {
        // JSON.parse quotes its input in its message: never let key text reach an error.
        throw new TypeError(
          "Cannot parse REALTIME_JWT_PUBLIC_KEY: it starts with '{' but is not valid JSON",
        );
      }
    } else {
      auth.publicKey = text;
    }
  }
  if (env.REALTIME_JWKS_URL !== undefined) auth.jwksUrl = env.REALTIME_JWKS_URL;
  if (env.REALTIME_JWT_ALGORITHMS !== undefined) {
    auth.algorithms = list(env.REALTIME_JWT_ALGORITHMS);
  }
  if (env.REALTIME_JWT_ISSUER !== undefined) auth.issuer = env.REALTIME_JWT_ISSUER;
  if (env.REALTIME_JWT_AUDIENCE !== undefined) auth.audience = env.REALTIME_JWT_AUDIENCE;
  const merged: ServerConfig = { ...config, auth };
  if (env.PORT !== undefined) merged.port = port(env.PORT, "PORT");
  if (env.REALTIME_HOST !== undefined) merged.hostname = env.REALTIME_HOST;
  if (env.REALTIME_TRANSPORT !== undefined) merged.transport = env.REALTIME_TRANSPORT as Transport;
  if (env.REALTIME_ENV !== undefined) merged.env = env.REALTIME_ENV;
  if (env.REALTIME_ALLOWED_ORIGINS !== undefined) {
    merged.allowedOrigins = list(env.REALTIME_ALLOWED_ORIGINS);
  }
  if (env.REALTIME_ADMIN_KEY !== undefined) {
    // The length only: the key itself must never reach an error or a log.
    if (env.REALTIME_ADMIN_KEY.length < 16) {
      throw new RangeError(
        `Cannot use REALTIME_ADMIN_KEY as it has ${env.REALTIME_ADMIN_KEY.length} characters: at least 16 are required`,
      );
    }
    merged.adminKey = env.REALTIME_ADMIN_KEY;
  }
  if (env.REALTIME_METRICS !== undefined) {
    merged.metrics = env.REALTIME_METRICS as ServerConfig["metrics"];
  }
  if (env.REALTIME_METRICS_PORT !== undefined) {
    merged.metricsPort = port(env.REALTIME_METRICS_PORT, "REALTIME_METRICS_PORT");
  }
  if (env.REALTIME_REDIS_URL !== undefined) {
    const urls = parseRedisUrls(env.REALTIME_REDIS_URL);
    // The variable says where Redis is: the file's other fields stay.
    const { sentinel: _s, cluster: _c, ...file } = typeof merged.engine === "object"
      ? merged.engine.redis
      : {};
    merged.engine = { redis: { ...file, urls } };
  }
  if (merged.engine !== undefined) merged.engine = checkEngineConfig(merged.engine);
  if (env.REALTIME_ACCOUNTS !== undefined) {
    merged.accounts = env.REALTIME_ACCOUNTS === "off" ? false : env.REALTIME_ACCOUNTS;
  }
  if (merged.accounts !== undefined && merged.accounts !== false) {
    parseAccountsLocation(
      merged.accounts,
      env.REALTIME_ACCOUNTS !== undefined ? "REALTIME_ACCOUNTS" : "accounts",
    );
  }
  if (env.REALTIME_DEMO !== undefined) {
    if (env.REALTIME_DEMO !== "on" && env.REALTIME_DEMO !== "off") {
      throw new TypeError(
        `Cannot use REALTIME_DEMO '${env.REALTIME_DEMO.slice(0, 64)}': use "on" or "off"`,
      );
    }
    merged.demo = env.REALTIME_DEMO === "on";
  }
  if (merged.demo !== undefined && typeof merged.demo !== "boolean") {
    throw new TypeError(`Cannot use 'demo' as it is ${typeof merged.demo}: use true or false`);
  }
  if (
    merged.metrics !== undefined && merged.metrics !== "public" && merged.metrics !== "admin" &&
    merged.metrics !== "off"
  ) {
    throw new TypeError(
      `Cannot serve metrics as '${merged.metrics}': use "public", "admin" or "off"`,
    );
  }
  if (env.REALTIME_PROXY_SECRET !== undefined) {
    merged.proxy = { ...merged.proxy, secret: env.REALTIME_PROXY_SECRET };
  }
  if (merged.proxy !== undefined) checkProxyConfig(merged.proxy);
  if (env.REALTIME_WEBHOOK_SECRET !== undefined) {
    merged.webhooks = { ...merged.webhooks, secret: env.REALTIME_WEBHOOK_SECRET };
  }
  // The secret alone posts nothing: the section's `url` says where to post.
  if (merged.webhooks?.url !== undefined) merged.webhooks = checkWebhookConfig(merged.webhooks);
  if (merged.adminSigningKeys !== undefined) checkSigningKeyFiles(merged.adminSigningKeys);
  if (merged.transport !== undefined && merged.transport !== "ws" && merged.transport !== "deno") {
    throw new TypeError(`Cannot use transport '${merged.transport}': use "ws" or "deno"`);
  }
  return merged;
}

/** Whether the configuration names a key (otherwise the development key is used). */
export function hasConfiguredKey(config: ServerConfig): boolean {
  const auth = config.auth ?? {};
  return auth.secret !== undefined || auth.publicKey !== undefined || auth.jwks !== undefined ||
    auth.jwksUrl !== undefined;
}

function list(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function port(text: string, name: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new RangeError(`Cannot listen on ${name} '${text}': a port number 0-65535 is required`);
  }
  return value;
}

/** Refuses `REALTIME_*` names nobody reads, suggesting the closest known ones. */
function checkNames(env: Record<string, string | undefined>): void {
  const known = [...SERVER_ENV_VARIABLES, ...CLI_ENV_VARIABLES];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("REALTIME_") || known.includes(name)) continue;
    const shown = name.slice(0, 64);
    // PORT is known too: REALTIME_PORT means it.
    const suggestions = suggestNames(shown, [...known, "PORT"]).map((n) => `'${n}'`);
    const hint = suggestions.length === 0
      ? ""
      : ` (did you mean ${
        suggestions.length === 1
          ? suggestions[0]
          : `${suggestions.slice(0, -1).join(", ")} or ${suggestions.at(-1)}`
      }?)`;
    throw new TypeError(
      `Cannot use environment variable '${shown}': it is not a known setting${hint}`,
    );
  }
}
