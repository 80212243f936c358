// deno-lint-ignore-file no-console
/**
 * Runs bench/app_handlers.ts for `deno task bench` and returns its Markdown
 * section (or why it failed), so that bench/run.ts needs one call.
 *
 * @module
 */

const ROOT = new URL("../..", import.meta.url).pathname;

/**
 * Runs the handler and proxy benchmarks in their own processes.
 *
 * @param quick The shorter run.
 * @returns The section's Markdown.
 */
export async function runAppHandlers(quick: boolean): Promise<string> {
  console.error("running the application handler and proxy benchmarks...");
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/app_handlers.ts"],
    cwd: ROOT,
    env: quick ? { BENCH_QUICK: "1" } : {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  return output.success
    ? new TextDecoder().decode(output.stdout).trim()
    : `application handler benchmarks failed: ${
      new TextDecoder().decode(output.stderr).slice(0, 500)
    }`;
}
