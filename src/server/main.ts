/**
 * `deno task start`: the hub with an embedded default configuration.
 *
 * @module
 */

import { loadServerConfig } from "./config.ts";
import { startServer } from "./start.ts";

/**
 * Runs the server until SIGINT or SIGTERM, printing where to connect (and,
 * with the development key, a ready-to-use token).
 *
 * @param env The environment.
 * @param configPath A JSON config file.
 * @returns The exit code.
 */
export async function main(
  env: Record<string, string | undefined>,
  configPath?: string,
): Promise<number> {
  let started;
  try {
    started = await startServer(await loadServerConfig(env, configPath));
  } catch (error) {
    // deno-lint-ignore no-console
    console.error(`realtime: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const lines = [
    `realtime hub listening on ${started.url} (transport: ${started.server.transport})`,
  ];
  if (started.devKey) {
    lines.push(
      "",
      "!!! DEVELOPMENT KEY: a generated HS256 key from .realtime/dev-key.json is in use.",
      "!!! Do not use it in production: set REALTIME_JWT_SECRET (or another key) instead.",
      "",
      "Development token for user 'demo' (24h; subscribe+publish chat:*, subscribe user:demo):",
      "",
      started.devToken ?? "",
      "",
      "Try it:",
      `  deno task cli tail 'chat:*' --url ${started.url} --token <token>`,
      `  deno task cli publish chat:lobby '"hello"' --url ${started.url} --token <token>`,
    );
  }
  // deno-lint-ignore no-console
  console.log(lines.join("\n"));
  const { promise: stop, resolve } = Promise.withResolvers<void>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => resolve());
  }
  await stop;
  await started.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.env.toObject()));
