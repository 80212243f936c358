// Every export path in deno.json is named where a user looks for it: the
// README's table of export paths and mod.ts's module documentation. A path
// added to deno.json without them fails here.

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
const paths = Object.keys(config.exports as Record<string, string>)
  .filter((path) => path !== ".")
  .map((path) => path.slice(1)); // "./redis" -> "/redis"

Deno.test("the README's export table has a row for every export path, and no other", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const rows = [...readme.matchAll(/^\| `@realtime\/hub([^`]*)` +\|/gm)].map((m) => m[1]);
  assert.deepEqual(rows.toSorted(), ["", ...paths].toSorted());
});

Deno.test("mod.ts's module documentation names every export path", async () => {
  const mod = await Deno.readTextFile(new URL("mod.ts", ROOT));
  const doc = mod.slice(0, mod.indexOf("@module"));
  const missing = paths.filter((path) => !doc.includes(`${path}\``));
  assert.deepEqual(missing, []);
});
