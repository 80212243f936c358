// Imports run only downward through the layers written in docs/layers.json,
// and no module reaches into another directory's private `_` file.

import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface Layer {
  name: string;
  paths: string[];
}

const { layers, exceptions } = JSON.parse(
  await Deno.readTextFile(join(ROOT, "docs", "layers.json")),
) as { layers: Layer[]; exceptions: Record<string, string[] | string> };

/** Known private reaches still allowed, as "file spec". */
const allowed = new Set(
  Object.entries(exceptions).flatMap(([file, specs]) =>
    Array.isArray(specs) ? specs.map((spec) => `${file} ${spec}`) : []
  ),
);

/** The layer index of a path relative to the root, by longest matching prefix. */
function layerOf(path: string): number | undefined {
  let best: number | undefined;
  let bestLength = -1;
  layers.forEach((layer, index) => {
    for (const prefix of layer.paths) {
      if (path.startsWith(prefix) && prefix.length > bestLength) {
        best = index;
        bestLength = prefix.length;
      }
    }
  });
  return best;
}

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sources(path);
    else if (/\.(ts|tsx|js|mjs)$/.test(entry.name)) yield path;
  }
}

/** Relative specifiers of every import and re-export, comments left out. */
export function relativeImports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g;
  for (const match of code.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** Every violation in src/, as "file imports 'spec': why". */
async function violations(): Promise<string[]> {
  const problems: string[] = [];
  for await (const file of sources("src")) {
    const from = layerOf(file);
    if (from === undefined) {
      problems.push(`${file} is in no layer: add its directory to docs/layers.json`);
      continue;
    }
    for (const spec of relativeImports(await Deno.readTextFile(join(ROOT, file)))) {
      const target = relative(ROOT, join(ROOT, dirname(file), spec)).replaceAll("\\", "/");
      const to = layerOf(target);
      if (to === undefined) {
        if (target.startsWith("src/")) {
          problems.push(`${file} imports '${spec}', which is in no layer of docs/layers.json`);
        }
        continue;
      }
      if (to > from) {
        problems.push(
          `${file} (layer ${layers[from].name}) imports '${spec}' from the higher layer ${
            layers[to].name
          }`,
        );
      }
      const base = target.slice(target.lastIndexOf("/") + 1);
      if (base.startsWith("_") && dirname(target) !== dirname(file)) {
        if (allowed.delete(`${file} ${spec}`)) continue;
        problems.push(`${file} imports '${spec}', a private file of ${dirname(target)}/`);
      }
    }
  }
  for (const stale of allowed) {
    problems.push(`docs/layers.json allows '${stale}', which no longer occurs: remove it`);
  }
  return problems;
}

Deno.test("layers: every import in src/ runs downward and no private file is reached into", async () => {
  const problems = await violations();
  assert.deepEqual(problems, [], `Imports against docs/layers.json:\n${problems.join("\n")}`);
});

Deno.test("relativeImports finds imports and re-exports, not commented-out ones", () => {
  const text = [
    'import { a } from "../hub/hub.ts";',
    'export type { B } from "./_b.ts";',
    'const c = await import("../server/serve.ts");',
    '// import { d } from "../cli/program.ts";',
    '/** import { e } from "../cli/program.ts"; */',
    'import { f } from "npm:ws";',
  ].join("\n");
  assert.deepEqual(relativeImports(text), ["../hub/hub.ts", "./_b.ts", "../server/serve.ts"]);
});
