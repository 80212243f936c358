/**
 * Starting a configured hub and server: what `deno task start` and
 * `realtime-cli serve` run.
 *
 * @module
 */

import { DEFAULT_DEV_KEY_DIR, ensureDevKey } from "../auth/dev_key.ts";
import { mintToken } from "../auth/mint.ts";
import type { Hub } from "../hub/hub.ts";
import { createHub } from "./create_hub.ts";
import { type LogEntry, logToStderr } from "../hub/log.ts";
import { createDemoHandler } from "../demo/handler.ts";
import { createAdminHandler } from "../admin/handler.ts";
import { type AdminAuthOptions, DEFAULT_ADMIN_AUDIENCE } from "../admin/options.ts";
import { createMetricsHandler } from "../metrics/handler.ts";
import { createConsoleFeed } from "../admin/console/feed.ts";
import { createConsoleHandler, DEFAULT_CONSOLE_MOUNT } from "../admin/console/handler.ts";
import { createTokenVerifier } from "../auth/verify.ts";
import {
  type DefaultAccountsOptions,
  developmentAcl,
  openDefaultAccounts,
} from "../accounts/default_accounts.ts";
import { hasConfiguredKey, type ServerConfig } from "./config.ts";
import { plainHubOptions } from "../hub/options.ts";
import type { HistoryRule } from "../engine/history_policy.ts";
import { serve, type Server } from "./serve.ts";
import { createHealthHandler } from "./health.ts";
import type { RedisEngine } from "../engine/redis/mod.ts";
import type { ConnInfo } from "../hub/transport.ts";
import { createSqliteStore } from "../accounts/sqlite_store.ts";
import type { AccountStore } from "../accounts/store.ts";
import { parseAccountsLocation, redactUrl } from "./_accounts_location.ts";
import { readSigningKeyFiles } from "./_signing_key_files.ts";
import { createProxyClient } from "./proxy/proxy_client.ts";
import { proxyHubParts } from "./proxy/proxy_handlers.ts";
import { DEFAULT_PROXY_MAX_CONCURRENT } from "./proxy/proxy_config.ts";
import { checkWebhookConfig } from "./webhooks/webhook_config.ts";
import { createWebhooks } from "./webhooks/webhooks.ts";
import { increment, observe } from "../hub/metrics.ts";
import { foreignHostResponse, isLoopbackHost, isLoopbackOrigin } from "./loopback_host.ts";

/** How long a stopping server tries to post the webhooks still queued, in ms. */
const WEBHOOK_DRAIN_MS = 2000;

/** The ACL claim of the development token printed at start-up. */
export const DEV_TOKEN_ACL: Readonly<Record<string, string[]>> = {
  "chat:*": ["subscribe", "publish", "history", "presence"],
  "user:demo": ["subscribe"],
};

/**
 * History of the demo rooms with the development key, unless the config
 * sets `history`: so the demo page recovers what a dropped connection missed.
 */
export const DEV_HISTORY: readonly HistoryRule[] = [
  { pattern: "chat:*", size: 100, ttlMs: 300_000 },
];

function isLoopbackInterface(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname === "[::1]" ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  /** Where the development key lives. @default {".realtime"} */
  devKeyDir?: string;
  /**
   * Plain HTTP handler for paths other than `/ws`.
   *
   * @default {the demo page at `/` (when config `demo` allows), with `POST /dev/token` when the development key is in use}
   */
  fetch?: (req: Request) => Response | Promise<Response>;
  /** Log sink. */
  log?: (entry: LogEntry) => void;
  /**
   * The `/auth/*` accounts (with a shared-secret key only), or `false` for none.
   *
   * @default {{ dir: devKeyDir, signup: true } with the development key, else false}
   */
  accounts?: DefaultAccountsOptions | false;
}

/** A started hub. */
export interface Started extends AsyncDisposable {
  /** The hub. */
  readonly hub: Hub;
  /** The listening server. */
  readonly server: Server;
  /** The WebSocket URL clients connect to. */
  readonly url: string;
  /** With a development key: a token for user `demo`. */
  readonly devToken?: string;
  /** Whether a generated development key is in use. */
  readonly devKey: boolean;
  /** The Redis engine, when the configuration chose one. */
  readonly engine?: RedisEngine;
  /** Whether the demo page is served at `/` (config `demo`; never with `StartOptions.fetch`). */
  readonly demo: boolean;
  /** Where the operator console is served, when it is. */
  readonly consolePath?: string;
  /** Closes the hub (1001 to clients), then the server. */
  close(): Promise<void>;
}

/**
 * Creates the hub described by a configuration and serves it. Without a
 * configured key it uses (and if needed generates) the development key,
 * only when `env` is unset or `development` and the server binds a
 * loopback interface.
 *
 * @param config The configuration, from {@linkcode loadServerConfig}.
 * @param options Development key location, HTTP handler, log sink.
 * @returns The started hub.
 * @throws {EngineError} `ENGINE_UNAVAILABLE` when the configured Redis cannot be reached in time; the message names the URL with its credentials redacted.
 *
 * @example Start on a free port with a given secret
 * ```ts
 * import { startServer } from "@realtime/hub/server";
 *
 * const started = await startServer({ port: 0, auth: { secret: "a-development-secret-of-32-bytes!!" } });
 * await started.close();
 * ```
 */
export async function startServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<Started> {
  const devKey = !hasConfiguredKey(config);
  // Only an explicit development value (or none, so a fresh clone starts)
  // allows the generated key: 'prod', 'staging' or a typo count as production.
  if (devKey && config.env !== undefined && config.env !== "" && config.env !== "development") {
    throw new TypeError(
      `Refusing to start with a generated development key as REALTIME_ENV is '${config.env}', not 'development': set REALTIME_JWT_SECRET, REALTIME_JWT_PUBLIC_KEY or REALTIME_JWKS_URL`,
    );
  }
  // The development key mints tokens for anyone who can reach /dev/token.
  if (devKey && config.hostname !== undefined && !isLoopbackInterface(config.hostname)) {
    throw new TypeError(
      `Refusing to bind the development key to '${config.hostname}': bind 127.0.0.1, localhost or ::1, or set REALTIME_JWT_SECRET, REALTIME_JWT_PUBLIC_KEY or REALTIME_JWKS_URL`,
    );
  }
  // Read before anything starts: a missing or bad key file leaves nothing open.
  const signingKeys = config.adminSigningKeys === undefined
    ? undefined
    : await readSigningKeyFiles(config.adminSigningKeys);
  let auth = config.auth ?? {};
  let devToken: string | undefined;
  let mintDemoToken: ((sub: string, ttlSeconds: number) => Promise<string>) | undefined;
  if (devKey) {
    const { secret } = await ensureDevKey(options.devKeyDir ?? DEFAULT_DEV_KEY_DIR);
    auth = { ...auth, secret };
    devToken = await mintToken({ sub: "demo", acl: { ...DEV_TOKEN_ACL } }, { secret }, {
      ttl: "24h",
    });
    // The demo page's tokens grant what a signed-up development user gets.
    mintDemoToken = (sub, ttl) => mintToken({ sub, acl: developmentAcl(sub) }, { secret }, { ttl });
  }
  // One set of history rules for engine and hub: the Redis engine's own, else
  // the hub's `history` (the demo rooms' with the development key).
  const history = (typeof config.engine === "object" ? config.engine.redis.history : undefined) ??
    config.history ?? (devKey ? [...DEV_HISTORY] : undefined);
  // One owner for everything opened below: a failure at any step closes
  // what was already open, in reverse order, and `close()` does the same.
  const opened = new AsyncDisposableStack();
  try {
    const parts = await openParts(config, options, opened, {
      auth,
      devKey,
      history,
      signingKeys,
      mintDemoToken,
    });
    const owned = opened.move();
    let closing: Promise<void> | undefined;
    const close = () => closing ??= owned.disposeAsync();
    const { hub, server, engine, demo, consolePath } = parts;
    const host = server.hostname === "0.0.0.0" || server.hostname === "127.0.0.1"
      ? "localhost"
      : server.hostname;
    return {
      hub,
      server,
      url: `ws://${host}:${server.port}/ws`,
      devToken,
      devKey,
      engine,
      demo,
      consolePath,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    // The start's own error is the one to report; a failed clean-up is logged.
    await opened.disposeAsync().catch((cleanup: unknown) =>
      options.log?.({
        level: "warn",
        event: "server.cleanup_failed",
        message: `Closing what a failed start opened failed: ${
          cleanup instanceof Error ? cleanup.message : String(cleanup)
        }`,
      })
    );
    throw error;
  }
}

/** What {@linkcode startServer} settled before opening anything. */
interface Settled {
  readonly auth: NonNullable<ServerConfig["auth"]>;
  readonly devKey: boolean;
  readonly history: HistoryRule[] | undefined;
  readonly signingKeys: Awaited<ReturnType<typeof readSigningKeyFiles>> | undefined;
  readonly mintDemoToken: ((sub: string, ttlSeconds: number) => Promise<string>) | undefined;
}

/**
 * Opens the engine, hub, accounts, console feed and listeners, handing each
 * closer to `opened` as soon as it exists. Closing `opened` unwinds them in
 * reverse: the hub says 1001 to its clients first, the engine goes last.
 */
async function openParts(
  config: ServerConfig,
  options: StartOptions,
  opened: AsyncDisposableStack,
  settled: Settled,
): Promise<{
  hub: Hub;
  server: Server;
  engine: RedisEngine | undefined;
  demo: boolean;
  consolePath: string | undefined;
}> {
  const { auth, devKey, history, signingKeys, mintDemoToken } = settled;
  // Redis is reached before anything listens: a hub that cannot share its
  // audience must not take connections (docs/scaling.md, "Running several hubs").
  let engine: RedisEngine | undefined;
  if (typeof config.engine === "object") {
    // Loaded only when chosen, so the default server never loads the Redis client.
    const { createRedisEngine } = await import("../engine/redis/mod.ts");
    const log = options.log;
    const redis = await createRedisEngine({
      ...config.engine.redis,
      history,
      // One idempotency window for either engine: the Redis engine's own, else the file's.
      idempotencyWindowMs: config.engine.redis.idempotencyWindowMs ?? config.idempotencyWindowMs,
      maxIdempotencyKeys: config.engine.redis.maxIdempotencyKeys ?? config.maxIdempotencyKeys,
      log: log === undefined
        ? undefined
        : (entry) =>
          log({ level: entry.level, event: `engine.${entry.event}`, message: entry.message }),
    });
    opened.defer(() => redis.close());
    engine = redis;
  }
  // The proxies are the hub's own hooks and handlers that call the backend;
  // their calls are counted with the handlers' (label `proxy_<kind>`).
  const proxied: { hub?: Hub } = {};
  const proxy = config.proxy?.secret === undefined ? undefined : proxyHubParts(
    config.proxy,
    createProxyClient({
      secret: config.proxy.secret,
      maxConcurrent: config.proxy.maxConcurrent ?? DEFAULT_PROXY_MAX_CONCURRENT,
      audit: options.log ?? logToStderr,
      count(kind, outcome, seconds) {
        if (proxied.hub === undefined) return;
        const { metrics } = proxied.hub;
        increment(metrics.handlerCalls, `proxy_${kind}`);
        if (outcome !== "ok") increment(metrics.handlerErrors, `proxy_${kind}`);
        observe(metrics.handlerSeconds, seconds);
      },
    }),
  );
  // Closed after the hub (deferred first): the hub's last disconnects are still queued.
  const webhooks = config.webhooks?.url === undefined
    ? undefined
    : createWebhooks(checkWebhookConfig(config.webhooks), { log: options.log ?? logToStderr });
  // The last events (the hub's closing disconnects) get a short while to go out.
  if (webhooks !== undefined) opened.defer(() => webhooks.drain(WEBHOOK_DRAIN_MS));
  const hub = createHub({
    // Every plain hub option the config file set, in one place (the defaults are the hub's).
    ...plainHubOptions(config),
    authenticate: proxy?.authenticate,
    handlers: proxy?.handlers,
    events: webhooks?.events,
    // A browser can read a 4001 close and its reason, not an HTTP 401 (see ServerConfig.reject).
    reject: config.reject ?? "close",
    // Where operators find this hub in the node list, unless the file says.
    node: {
      ...config.node,
      address: config.node?.address ??
        `${config.hostname ?? (devKey ? "127.0.0.1" : "0.0.0.0")}:${config.port ?? 8000}`,
    },
    // The hub reads the engine's rules to know which subscribe replies carry a position.
    history,
    engine,
    auth,
    log: options.log,
  });
  opened.defer(() => hub.close());
  proxied.hub = hub;
  if (webhooks !== undefined) webhooks.metrics = hub.metrics;
  for (const [method, handler] of proxy?.rpc ?? []) hub.rpc(method, handler);
  // Admin credential: REALTIME_ADMIN_KEY, or a JWT from the same issuer with
  // exp, the admin audience (never the hub's) and the admin role.
  const adminAudience = config.adminAudience ?? DEFAULT_ADMIN_AUDIENCE;
  const adminAuth: AdminAuthOptions = {
    apiKey: config.adminKey,
    verifier: createTokenVerifier({ ...auth, audience: adminAudience, requireExp: true }),
    adminRole: config.adminRole,
    audience: adminAudience,
  };
  // Pages allowed to use account sessions: the configured origins (those
  // the hub admits, REALTIME_ALLOWED_ORIGINS), and with the development key
  // this server's own loopback origins, once it listens. Never the Host.
  const configuredOrigins = config.allowedOrigins ?? [];
  const listening: { port?: number } = {};
  const accountOrigins = (origin: string) =>
    configuredOrigins.includes(origin) ||
    (devKey && listening.port !== undefined && isLoopbackOrigin(origin, listening.port));
  // On by default with the development key only: a configured server
  // writes no state unless asked to (config `accounts`, REALTIME_ACCOUNTS).
  let wanted = options.accounts;
  if (wanted === undefined) {
    if (config.accounts !== undefined && config.accounts !== false) {
      const store = await openAccountsStore(config.accounts, auth.secret !== undefined);
      opened.defer(() => store.close());
      wanted = { store };
    } else {
      wanted = config.accounts === undefined && devKey ? {} : false;
    }
  }
  const accounts = wanted === false ? undefined : openDefaultAccounts(auth, hub, {
    dir: options.devKeyDir,
    signup: devKey,
    log: options.log,
    // Logins are accounted to the address the hub's per-IP limits use.
    trustProxy: config.trustProxy,
    allowedOrigins: accountOrigins,
    admin: { ...adminAuth, prefix: `${config.adminPrefix ?? "/v1/realtime"}/accounts` },
    ...wanted,
  });
  if (accounts !== undefined) opened.defer(() => accounts.close());
  // The console: on where an admin credential is configured (or in
  // development), at `consolePath`; it holds no privilege of its own.
  const consoleMount = config.consolePath === false ? undefined : config.consolePath ??
    (config.adminKey !== undefined || devKey ? DEFAULT_CONSOLE_MOUNT : undefined);
  const feed = consoleMount === undefined ? undefined : createConsoleFeed(hub);
  if (feed !== undefined) opened.defer(() => feed.close());
  const consolePage = consoleMount === undefined
    ? undefined
    : createConsoleHandler({ mount: consoleMount, apiPrefix: config.adminPrefix });
  // Checks every signing key now (a short secret, a public key): a refusal closes what started.
  const admin = createAdminHandler(hub, {
    ...adminAuth,
    prefix: config.adminPrefix,
    audit: options.log,
    feed,
    signingKeys,
    // An operator's revoke also ends the user's accounts sessions.
    endSessions: accounts?.endSessions,
  });
  // Metrics are public on the main port only with the development key; in
  // production they need the admin credential or a separate (internal) port.
  const metricsMode = config.metrics ?? (devKey ? "public" : "admin");
  const metrics = createMetricsHandler(hub, metricsMode === "admin" ? { adminAuth } : {});
  // The demo page is development furniture: off in production unless asked for.
  const demo = options.fetch === undefined &&
    (config.demo ?? (config.env === undefined || config.env === "" ||
      config.env === "development"));
  const app = options.fetch ??
    (demo ? createDemoHandler({ mint: mintDemoToken }) : notFound);
  const health = createHealthHandler(engine);
  const fetch = async (req: Request, info: ConnInfo): Promise<Response> => {
    const healthy = health(req);
    if (healthy !== undefined) return healthy;
    if (
      metricsMode !== "off" && config.metricsPort === undefined &&
      new URL(req.url).pathname === "/metrics"
    ) {
      return await metrics(req);
    }
    return (await accounts?.adminHandler(req)) ?? (await admin(req)) ??
      (await accounts?.handler(req, info)) ?? (await consolePage?.(req)) ?? (await app(req));
  };
  const hostname = config.hostname ?? (devKey ? "127.0.0.1" : "0.0.0.0");
  const server = await serve(hub, {
    port: config.port ?? 8000,
    hostname,
    transport: config.transport ?? "ws",
    ssePath: config.ssePath,
    publishPath: config.publishPath,
    fetch,
    // DNS rebinding: the development key's routes (/dev/token, /auth
    // sign-up, /ws) answer only loopback names.
    requireLoopbackHost: devKey,
  });
  opened.defer(() => server.close());
  listening.port = server.port;
  if (config.metricsPort !== undefined && metricsMode !== "off") {
    const { promise, resolve } = Promise.withResolvers<void>();
    const metricsServer = Deno.serve(
      { port: config.metricsPort, hostname, onListen: () => resolve() },
      (req) => {
        const host = req.headers.get("host");
        return devKey && !isLoopbackHost(host) ? foreignHostResponse(host) : metrics(req);
      },
    );
    opened.defer(() => metricsServer.shutdown());
    await promise;
  }
  // Unwound first: console streams never end by themselves, and clients hear
  // 1001 from the hub before the listeners stop (hub.close is idempotent).
  opened.defer(async () => {
    feed?.close();
    await hub.close();
  });
  return { hub, server, engine, demo, consolePath: consoleMount };
}

function notFound(): Response {
  return Response.json({ code: "BAD_REQUEST", message: "Not found" }, { status: 404 });
}
/** Opens the store a config names; errors show a PostgreSQL URL without its password. */
async function openAccountsStore(location: string, canMint: boolean): Promise<AccountStore> {
  if (!canMint) {
    throw new TypeError(
      "Cannot mount accounts as the hub has no shared secret to mint tokens with: set REALTIME_JWT_SECRET, or accounts to false",
    );
  }
  const parsed = parseAccountsLocation(location, "accounts");
  if (parsed.kind === "sqlite") {
    try {
      return createSqliteStore(parsed.path);
    } catch (error) {
      throw sqliteOpenError(parsed.path, error);
    }
  }
  // Loaded only when used: the npm client stays out of servers without it.
  const { createPostgresStore } = await import("../accounts/postgres_store.ts");
  try {
    return await createPostgresStore(parsed.url);
  } catch (error) {
    throw new Error(
      `Cannot open the accounts store ${redactUrl(parsed.url)}: ${
        error instanceof Error ? error.message.replaceAll(parsed.url, "***") : "unknown error"
      }`,
    );
  }
}

/**
 * Says what to do when the SQLite accounts file cannot be created: Deno's
 * permission (`deno task start` may write only `.realtime`) or the system's.
 */
function sqliteOpenError(path: string, error: unknown): Error {
  const slash = path.lastIndexOf("/");
  const dir = slash > 0 ? path.slice(0, slash) : ".";
  const store = `Cannot open the accounts store 'sqlite:${path}'`;
  if (error instanceof Deno.errors.NotCapable) {
    return new Error(
      `${store} as this process may not write to '${dir}': run the hub with --allow-write=${dir} (deno task start may write only .realtime: use sqlite:.realtime/accounts.db, or run src/server/main.ts directly as docs/deploy.md shows)`,
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new Error(
      `${store} as the system denies writing to '${dir}': create that directory and give it to the user the hub runs as`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(`${store}: ${String(error)}`);
}
