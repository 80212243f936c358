// What the Node tests share: the system's Node version. They bundle with
// `bundleForNode` from scripts/_bundle.ts.

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
