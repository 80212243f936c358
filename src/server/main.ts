/**
 * `deno task start`: the hub with an embedded default configuration.
 *
 * @module
 */

import { loadServerConfig } from "./config.ts";
import { serverBanner } from "./banner.ts";
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
  // This process may be a child of `deno task`: say how a supervisor runs it directly.
  const lines = serverBanner(started, { supervisorHint: true });
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
