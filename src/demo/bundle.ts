/**
 * Bundling a browser entry point and what it imports into one ES module
 * with `Deno.bundle` (which needs `--unstable-bundle`): the demo page's and
 * the operator console's scripts, served by the hub itself.
 *
 * @module
 */

interface DenoBundle {
  (options: {
    entrypoints: string[];
    write: boolean;
    format: "esm";
    platform: "browser";
    minify: boolean;
  }): Promise<{
    success: boolean;
    errors?: { text: string }[];
    outputFiles?: { text(): string }[];
  }>;
}

/**
 * Bundles `entry` for the browser.
 *
 * @param entry The entry module.
 * @param what What it is, for error messages ("the demo script").
 * @returns The JavaScript.
 * @throws {Error} When `Deno.bundle` is missing or fails.
 */
export async function bundleBrowserScript(entry: URL, what: string): Promise<string> {
  const bundler = (Deno as unknown as { bundle?: DenoBundle }).bundle;
  if (typeof bundler !== "function") {
    throw new Error(
      `Deno.bundle is not available: run the server with --unstable-bundle to serve ${what}`,
    );
  }
  const result = await bundler({
    entrypoints: [entry.protocol === "file:" ? decodeURIComponent(entry.pathname) : entry.href],
    write: false,
    format: "esm",
    platform: "browser",
    minify: true,
  });
  const file = result.outputFiles?.[0];
  if (!result.success || file === undefined) {
    const first = result.errors?.[0]?.text ?? "no output";
    throw new Error(`Cannot bundle ${what}: ${first}`);
  }
  return file.text();
}
