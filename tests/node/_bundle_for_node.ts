// Bundles a test entry for the system's Node from the locked sources, with
// `deno bundle --platform deno` (Node's built-ins stay imports).

import { join } from "node:path";
import { ROOT } from "../../scripts/_bundle.ts";

/**
 * Bundles `entry` (relative to the repository root) into `file`.
 *
 * @throws {Error} When `deno bundle` fails, with its error output.
 */
export async function bundleForNode(entry: string, file: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--frozen",
      "--config",
      join(ROOT, "deno.json"),
      "--platform",
      "deno",
      "--format",
      "esm",
      "--output",
      file,
      entry,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`deno bundle failed: ${new TextDecoder().decode(stderr)}`);
}

/** The system's Node version (`v20.x.y`), or `undefined` where none is installed. */
export function nodeVersion(): string | undefined {
  try {
    const { success, stdout } = new Deno.Command("node", { args: ["--version"], stdout: "piped" })
      .outputSync();
    return success ? new TextDecoder().decode(stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}
