/**
 * The start-up banner of `deno task start` and `realtime-cli serve`.
 *
 * @module
 */

/** What the banner shows about a started hub. */
export interface BannerInput {
  /** The WebSocket URL. */
  readonly url: string;
  /** The transport in use. */
  readonly server: { readonly transport: string };
  /** Whether the generated development key is in use. */
  readonly devKey: boolean;
  /** The development token, with the development key. */
  readonly devToken?: string;
  /** Whether the demo page is served at `/`. @default {true} */
  readonly demo?: boolean;
  /** Where the operator console is served, when it is. */
  readonly consolePath?: string;
}

/** Options of {@linkcode serverBanner}. */
export interface BannerOptions {
  /**
   * Say how a supervisor should run the hub: `deno task start` runs it as a
   * child of the task runner, which a supervisor's signal does not reach.
   *
   * @default {false}
   */
  supervisorHint?: boolean;
}

/**
 * The hub's own process, as a supervisor should start it: the permissions
 * and memory settings of `deno task start` (two malloc arenas and a 4 MiB
 * young generation: see docs/performance.md), without the task runner in
 * between.
 */
export const DIRECT_START_COMMAND = "MALLOC_ARENA_MAX=2 deno run " +
  "--v8-flags=--max-semi-space-size=4 --allow-net --allow-env --allow-read " +
  "--allow-write=.realtime src/server/main.ts";

/**
 * The banner: where to connect, the demo page and console, and with the
 * development key a loud warning, a ready-to-use token and commands that
 * take tokens from the environment (never the command line, which `ps`
 * and `deno task` show).
 *
 * @param started The started hub (from `startServer`).
 * @param options Whether to add the supervisor hint.
 * @returns The banner's lines; the first says where the hub listens.
 */
export function serverBanner(started: BannerInput, options: BannerOptions = {}): string[] {
  const http = started.url.replace(/^ws/, "http").replace(/\/ws$/, "");
  const lines = [
    `realtime hub listening on ${started.url} (transport: ${started.server.transport})`,
  ];
  if (started.demo ?? true) lines.push(`demo page: ${http}/`);
  if (started.consolePath !== undefined) {
    lines.push(
      `operator console: ${http}${started.consolePath} (sign in with REALTIME_ADMIN_KEY, or an admin JWT:`,
      "  deno task -q cli token mint --sub ops --role admin --aud realtime-admin --ttl 15m)",
    );
  }
  lines.push(`health check: ${http}/healthz`);
  if (started.devKey) {
    lines.push(
      "",
      "!!! DEVELOPMENT KEY: a generated HS256 key from .realtime/dev-key.json is in use.",
      "!!! Do not use it in production: set REALTIME_JWT_SECRET (or another key) instead.",
      "",
      "Development token for user 'demo' (24h; subscribe, publish, history and presence on chat:*, subscribe user:demo):",
      "",
      started.devToken ?? "",
      "",
      "Try it in another terminal (the CLI reads REALTIME_TOKEN: no token on a command line):",
      `  export REALTIME_URL=${started.url}`,
      "  export REALTIME_TOKEN=$(deno task -q cli token mint --sub demo --acl 'chat:*=subscribe,publish')",
      "  deno task cli tail 'chat:*'",
      `  deno task cli publish chat:lobby '"hello"'`,
    );
  }
  if (options.supervisorHint === true) {
    lines.push(
      "",
      "Under a supervisor (systemd, Docker), run the hub process itself, not deno task start:",
      `  ${DIRECT_START_COMMAND}`,
      "  (SIGTERM drains connections and exits; see docs/deploy.md)",
    );
  }
  return lines;
}
