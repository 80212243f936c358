// Importing `@realtime/hub` loads the hub, not the server: no npm `ws` (the
// server no longer uses it either, but a new import must not bring it back
// to the root), no `@hono/node-server`, no demo page. Read from Deno's own
// module graph.

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The specifiers of every module `entry` loads. */
async function graphOf(entry: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  return info.modules.map((module) => module.specifier);
}

const HEAVY = [/^npm:\/?ws@/, /^npm:\/?@hono\/node-server@/, /^npm:\/?hono@/, /\/src\/demo\//];

Deno.test("mod.ts loads neither npm ws, @hono/node-server nor the demo page", async () => {
  const modules = await graphOf("mod.ts");
  assert.ok(modules.some((m) => m.endsWith("/src/hub/hub.ts")), "the graph was not read");
  const heavy = modules.filter((m) => HEAVY.some((re) => re.test(m)));
  assert.deepEqual(heavy, [], `@realtime/hub loads: ${heavy.join(", ")}`);
});

Deno.test("the server path is where @hono/node-server comes in", async () => {
  // Proves the check above can see a heavy npm package when it is there.
  const modules = await graphOf("src/server/mod.ts");
  assert.ok(modules.some((m) => /^npm:\/?@hono\/node-server@/.test(m)), modules.join("\n"));
});
