/**
 * Where a command gets the token it inspects, verifies or explains.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { CliError, ExitCode } from "./errors.ts";
import { readAll } from "./lines.ts";

/**
 * Reads the token argument: the value, `-` for stdin, or the global token
 * (`--token`, `REALTIME_TOKEN`).
 *
 * @param ctx The shared context.
 * @param value The argument, if any.
 * @returns The token.
 */
export async function tokenArgument(ctx: Context, value: string | undefined): Promise<string> {
  if (value === "-") {
    return (await readAll(ctx.io.stdin())).trim();
  }
  const token = value ?? ctx.globals.token;
  if (token === undefined || token === "") {
    throw new CliError(
      ExitCode.Usage,
      "No token: pass it as an argument, '-' for stdin, or set REALTIME_TOKEN",
    );
  }
  return token;
}
