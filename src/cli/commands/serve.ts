/**
 * `realtime-cli serve`: the hub, as `deno task start` runs it.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { portArg } from "../args.ts";
import type { Context } from "../context.ts";
import { CliError, ExitCode } from "../errors.ts";

/**
 * Creates the command.
 *
 * @param ctx The shared context.
 * @returns The command.
 */
export function serveCommand(ctx: Context) {
  return new Command("serve")
    .summary("Start the hub (as deno task start does)")
    .description(
      "Start the hub, as `deno task start` does: configured by a JSON file (--config or " +
        "REALTIME_CONFIG) and the environment (PORT, REALTIME_HOST, REALTIME_TRANSPORT, " +
        "REALTIME_ENV, REALTIME_JWT_SECRET, REALTIME_JWT_PUBLIC_KEY, REALTIME_JWKS_URL, " +
        "REALTIME_JWT_ALGORITHMS, REALTIME_JWT_ISSUER, REALTIME_JWT_AUDIENCE, " +
        "REALTIME_ALLOWED_ORIGINS); options given here win over both. Without a key it uses the " +
        "development key in .realtime/ and binds 127.0.0.1. SIGINT or SIGTERM closes every " +
        "connection with 1001 and exits 0. Logs are JSON lines on stderr.",
    )
    .option("-p, --port <port>", "port; 0 picks a free one (default: $PORT or 8000)", portArg)
    .option("--host <interface>", "interface to bind (default: $REALTIME_HOST, see above)")
    .option("--config <file>", "JSON config file (default: $REALTIME_CONFIG)")
    .addOption(
      new Option("--transport <name>", "transport adapter (default: $REALTIME_TRANSPORT or ws)")
        .choices(["ws", "deno"] as const),
    )
    .action(async (options) => {
      const { loadServerConfig } = await import("../../server/config.ts");
      const { startServer } = await import("../../server/start.ts");
      const { serverBanner } = await import("../../server/banner.ts");
      const config = await loadServerConfig(ctx.io.env, options.config);
      if (options.port !== undefined) config.port = options.port;
      if (options.host !== undefined) config.hostname = options.host;
      if (options.transport !== undefined) config.transport = options.transport;
      const quiet = ctx.globals.quiet;
      let started;
      try {
        started = await startServer(config, {
          log: (entry) => {
            if (quiet && (entry.level === "debug" || entry.level === "info")) return;
            // The format of the hub's default sink, written where this run's stderr is.
            ctx.io.stderr(JSON.stringify({ time: new Date().toISOString(), ...entry }) + "\n");
          },
        });
      } catch (error) {
        // The deno transport throws Deno.errors.AddrInUse, the ws one (node:http) a Node error.
        const inUse = error instanceof Deno.errors.AddrInUse ||
          (error as { code?: unknown }).code === "EADDRINUSE";
        if (inUse) {
          throw new CliError(
            ExitCode.Connection,
            `Cannot listen on port ${config.port ?? 8000}: it is in use (try --port 0)`,
          );
        }
        throw error;
      }
      try {
        const banner = serverBanner(started);
        ctx.out(quiet ? banner[0] : banner.join("\n"));
        const stop = ctx.io.signal;
        if (!stop.aborted) {
          await new Promise((resolve) => stop.addEventListener("abort", resolve, { once: true }));
        }
        ctx.status("shutting down");
      } finally {
        await started.close();
      }
    });
}
