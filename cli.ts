/**
 * `realtime-cli`: the command-line tool for `@realtime/hub`. Mint and
 * inspect tokens, generate keys, open an interactive session, tail and
 * publish topics, explain ACL decisions, and serve a hub.
 *
 * ```sh
 * deno install -g -A -n realtime-cli jsr:@realtime/hub/cli
 * realtime-cli --help
 * ```
 *
 * Exit codes: 0 success, 1 usage, 2 authentication or permission failure,
 * 3 connection failure, 4 timeout.
 *
 * @module
 */

import type { CliIo } from "./src/cli/io.ts";
import { run } from "./src/cli/program.ts";

export type { CliIo };

/**
 * Runs `realtime-cli` in this process, as the installed command does with
 * its arguments. Errors are reported as one line on `io.stderr` (never with
 * a token or secret in it) and turned into the exit code.
 *
 * @param args The command-line arguments, without the program name.
 * @param io Standard streams, environment and cancellation; the process's own by default.
 * @returns The exit code: 0 success, 1 usage, 2 authentication or
 * permission failure, 3 connection failure, 4 timeout.
 *
 * @example Print the version into a string
 * ```ts
 * import { runCli } from "@realtime/hub/cli";
 * import assert from "node:assert/strict";
 *
 * let out = "";
 * const code = await runCli(["--version"], { stdout: (text) => out += text, env: {} });
 * assert.equal(code, 0);
 * assert.match(out, /^\d+\.\d+\.\d+\n$/);
 * ```
 *
 * @example A usage error is exit code 1
 * ```ts
 * import { runCli } from "@realtime/hub/cli";
 * import assert from "node:assert/strict";
 *
 * let err = "";
 * const code = await runCli(["token", "mint"], { stderr: (text) => err += text, env: {} });
 * assert.equal(code, 1);
 * assert.match(err, /--sub/);
 * ```
 */
export async function runCli(args: string[], io: CliIo = {}): Promise<number> {
  return await run(args, io);
}

if (import.meta.main) Deno.exit(await runCli(Deno.args));
