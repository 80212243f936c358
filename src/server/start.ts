/**
 * Starting a configured hub and server: what `deno task start` and
 * `realtime-cli serve` run.
 *
 * @module
 */

import { ensureDevKey } from "../auth/dev_key.ts";
import { mintToken } from "../auth/mint.ts";
import { createHub, type Hub } from "../hub/hub.ts";
import type { LogEntry } from "../hub/log.ts";
import { hasConfiguredKey, type ServerConfig } from "./config.ts";
import { serve, type Server } from "./serve.ts";

/** The ACL claim of the development token printed at start-up. */
export const DEV_TOKEN_ACL: Readonly<Record<string, string[]>> = {
  "chat:*": ["subscribe", "publish"],
  "user:demo": ["subscribe"],
};

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  /** Where the development key lives. @default {".realtime"} */
  devKeyDir?: string;
  /** Plain HTTP handler for paths other than `/ws`. */
  fetch?: (req: Request) => Response | Promise<Response>;
  /** Log sink. */
  log?: (entry: LogEntry) => void;
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
  /** Closes the hub (1001 to clients), then the server. */
  close(): Promise<void>;
}

/**
 * Creates the hub described by a configuration and serves it. Without a
 * configured key it uses (and if needed generates) the development key,
 * unless `env` is `production`.
 *
 * @param config The configuration, from {@linkcode loadServerConfig}.
 * @param options Development key location, HTTP handler, log sink.
 * @returns The started hub.
 *
 * @example Start on a free port with a given secret
 * ```ts
 * import { startServer } from "@realtime/hub";
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
  if (devKey && config.env === "production") {
    throw new TypeError(
      "Refusing to start with a generated development key as REALTIME_ENV is 'production': set REALTIME_JWT_SECRET, REALTIME_JWT_PUBLIC_KEY or REALTIME_JWKS_URL",
    );
  }
  let auth = config.auth ?? {};
  let devToken: string | undefined;
  if (devKey) {
    const { secret } = await ensureDevKey(options.devKeyDir ?? ".realtime");
    auth = { ...auth, secret };
    devToken = await mintToken({ sub: "demo", acl: { ...DEV_TOKEN_ACL } }, { secret }, {
      ttl: "24h",
    });
  }
  const hub = createHub({
    auth,
    acl: config.acl,
    allowedOrigins: config.allowedOrigins,
    tokenSources: config.tokenSources,
    reject: config.reject,
    limits: config.limits,
    firstMessageTimeoutMs: config.firstMessageTimeoutMs,
    tokenExpiringLeadMs: config.tokenExpiringLeadMs,
    log: options.log,
  });
  let server: Server;
  try {
    server = await serve(hub, {
      port: config.port ?? 8000,
      hostname: config.hostname ?? (devKey ? "127.0.0.1" : "0.0.0.0"),
      transport: config.transport ?? "ws",
      fetch: options.fetch,
    });
  } catch (error) {
    await hub.close();
    throw error;
  }
  const host = server.hostname === "0.0.0.0" || server.hostname === "127.0.0.1"
    ? "localhost"
    : server.hostname;
  const close = async () => {
    await hub.close();
    await server.close();
  };
  return {
    hub,
    server,
    url: `ws://${host}:${server.port}/ws`,
    devToken,
    devKey,
    close,
    [Symbol.asyncDispose]: close,
  };
}
