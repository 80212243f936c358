/**
 * Bundling with the `deno bundle` CLI from the repo root, with the repo's
 * `deno.json` and a frozen `deno.lock` (so exactly the locked sources go
 * in, and nothing is resolved afresh): a browser entry point minified and
 * split into chunks for what the code imports dynamically, or, for the
 * Node tests, a Node entry point as one file. Used by
 * `scripts/build_pages.ts`, `scripts/client_size.ts` and the browser and
 * Node tests.
 *
 * esbuild names chunks `<name>-<hash>.js`, and its hash covers the paths of
 * npm modules relative to the working directory: the same sources built
 * from another clone or another `DENO_DIR` get other names. {@linkcode
 * renameChunks} names them again from their contents alone.
 *
 * @module
 */

import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** A build's files by name: the entry and its chunks, all in one directory. */
export type Outputs = Map<string, string>;

/**
 * Bundles `entry` for the browser into ES module files.
 *
 * @param entry The entry module, relative to the repo root or absolute.
 * @param name The file name the entry's output gets, such as `demo.js`.
 * @param options `minify: false` keeps the output readable, and then
 * `deno bundle` picks npm packages' development builds (React's, which run
 * StrictMode's double renders and effects); minified output gets their
 * production builds.
 * @returns The files by name, chunk names derived from contents only.
 * @throws {Error} When `deno bundle` fails or writes something unexpected.
 */
export async function bundleForBrowser(
  entry: string,
  name: string,
  options: { minify?: boolean } = {},
): Promise<Outputs> {
  const outdir = await Deno.makeTempDir({ prefix: "realtime-bundle-" });
  try {
    await denoBundle(entry, [
      "--platform",
      "browser",
      ...(options.minify === false ? [] : ["--minify"]),
      "--code-splitting",
      "--outdir",
      outdir,
    ]);
    const files: Outputs = new Map();
    for await (const item of Deno.readDir(outdir)) {
      if (!item.isFile || !item.name.endsWith(".js")) {
        throw new Error(`Cannot bundle ${entry}: unexpected output '${item.name}'`);
      }
      files.set(item.name, await Deno.readTextFile(join(outdir, item.name)));
    }
    return await renameChunks(files, basename(entry).replace(/\.[jt]sx?$/, ".js"), name);
  } finally {
    await Deno.remove(outdir, { recursive: true });
  }
}

/**
 * Bundles `entry` into one ES module file for Node (`--platform deno`:
 * Node's built-ins stay `node:` imports, which Node resolves itself).
 *
 * @param entry The entry module, relative to the repo root or absolute.
 * @param file Where the bundle is written.
 * @throws {Error} When `deno bundle` fails.
 */
export async function bundleForNode(entry: string, file: string): Promise<void> {
  await denoBundle(entry, ["--platform", "deno", "--output", file]);
}

/**
 * Runs `deno bundle` on `entry` from the repo root with the repo's
 * `deno.json` and a frozen lock, as ES modules, with the given output flags.
 */
async function denoBundle(entry: string, flags: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--frozen",
      "--config",
      join(ROOT, "deno.json"),
      "--format",
      "esm",
      ...flags,
      entry,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot bundle ${entry}: deno bundle exited with ${code}\n${
        new TextDecoder().decode(stderr)
      }`,
    );
  }
}

const HASHED = /^([A-Za-z0-9_]+)-[A-Z0-9]{8}\.js$/;
const SPECIFIER = /"\.\/([^"/]+\.js)"/g;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Replaces every `"./<old>"` specifier by the mapped name. */
function respecify(text: string, names: ReadonlyMap<string, string>): string {
  return text.replace(SPECIFIER, (whole, file: string) => {
    const renamed = names.get(file);
    return renamed === undefined ? whole : `"./${renamed}"`;
  });
}

/**
 * Names a build's files from their contents: the entry `entryName`, each
 * chunk `<esbuild's name>-<hash>.js` where the hash covers every file of the
 * build, so a chunk's name changes whenever anything it may import does.
 * Import specifiers are rewritten to match.
 *
 * @param files The files as esbuild named them.
 * @param entryFile The entry's file as esbuild named it (`app.js`).
 * @param entryName The entry's new name (`demo.js`).
 * @returns The renamed files, the entry first, then by name.
 * @throws {Error} When a file is named unexpectedly or imports a file the build lacks.
 */
export async function renameChunks(
  files: Outputs,
  entryFile: string,
  entryName: string,
): Promise<Outputs> {
  if (!files.has(entryFile)) throw new Error(`Cannot find the entry '${entryFile}' in the build`);
  const stems = new Map<string, string>([[entryFile, entryName]]);
  for (const file of files.keys()) {
    if (file === entryFile) continue;
    const match = HASHED.exec(file);
    if (match === null) throw new Error(`Cannot rename '${file}': not a '<name>-<hash>.js' chunk`);
    stems.set(file, `${match[1]}.js`);
  }
  // Contents with esbuild's path-dependent names replaced by their stems.
  const neutral = new Map([...files].map(([file, text]) => [file, respecify(text, stems)]));
  const build = await sha256Hex([...neutral.values()].sort().join("\0"));
  const names = new Map<string, string>([[entryFile, entryName]]);
  for (const [file, text] of neutral) {
    if (file === entryFile) continue;
    const hash = (await sha256Hex(`${build}\0${text}`)).slice(0, 10);
    names.set(file, stems.get(file)!.replace(/\.js$/, `-${hash}.js`));
  }
  if (new Set(names.values()).size !== names.size) {
    throw new Error("Cannot rename the chunks: two got the same name");
  }
  const chunks = [...files.keys()].filter((file) => file !== entryFile)
    .map((file) => [names.get(file)!, file]).sort().map(([, file]) => file);
  const renamed: Outputs = new Map();
  for (const file of [entryFile, ...chunks]) {
    renamed.set(names.get(file)!, respecify(files.get(file)!, names));
  }
  for (const [file, text] of renamed) {
    for (const [, imported] of text.matchAll(SPECIFIER)) {
      if (!renamed.has(imported)) {
        throw new Error(
          `Cannot rename the chunks: '${file}' imports './${imported}', not in the build`,
        );
      }
    }
  }
  return renamed;
}

/**
 * The files a page loads before its script runs: the entry and what it
 * imports statically, transitively; `import()` targets are left out.
 *
 * @param files A build's files.
 * @param entry The entry's name.
 * @returns The names, the entry first.
 */
export function staticClosure(files: Outputs, entry: string): string[] {
  const seen = [entry];
  for (let i = 0; i < seen.length; i++) {
    const text = files.get(seen[i]) ?? "";
    for (const [, file] of text.matchAll(/(?:\bfrom\s*|\bimport\s*)"\.\/([^"/]+\.js)"/g)) {
      if (!seen.includes(file)) seen.push(file);
    }
  }
  return seen;
}
