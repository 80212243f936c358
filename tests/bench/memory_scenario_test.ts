// The memory scenario's figures from its marks, and the runtime settings the
// hub's bench peers take from a checkout's start task.

import assert from "node:assert/strict";
import { memory } from "../../bench/scenarios/memory.ts";
import { startTaskRuntime } from "../../bench/_peers.ts";
import type { MarkSample } from "../../bench/scenarios/_scenario.ts";

function mark(rssKiB: number, at: number): MarkSample {
  const sample = { cpuUs: 0, rssKiB, at };
  return { server: sample, load: sample };
}

Deno.test("memory: settled is the lowest idle reading, not the last, and says when it came", () => {
  // A runtime that gives the storm's garbage back late (V8's memory-reducer
  // watchdog) and grows a little again afterwards.
  const marks = new Map<string, MarkSample>([
    ["before", mark(50_000, 0)],
    ["warm", mark(55_000, 1_000)],
    ["after", mark(120_000, 10_000)],
    ["idle-1", mark(120_000, 11_000)],
    ["idle-2", mark(90_000, 110_000)],
    ["idle-3", mark(90_000, 111_000)],
    ["settled", mark(91_000, 160_000)],
  ]);
  const figures = memory.figures({ connections: 10_000, warmConnections: 1_000 }, marks);
  assert.equal(figures.kibPerConnection, 7);
  assert.equal(figures.settledKiB, 4);
  assert.equal(figures.settledAfterS, 100);
});

Deno.test("memory: settled falls back to the last reading when nothing went lower", () => {
  const marks = new Map<string, MarkSample>([
    ["before", mark(50_000, 0)],
    ["warm", mark(55_000, 1_000)],
    ["after", mark(120_000, 10_000)],
    ["idle-1", mark(121_000, 11_000)],
    ["settled", mark(110_000, 160_000)],
  ]);
  const figures = memory.figures({ connections: 10_000, warmConnections: 1_000 }, marks);
  assert.equal(figures.settledKiB, 6);
  assert.equal(figures.settledAfterS, 150);
});

Deno.test("startTaskRuntime reads the start task's environment and V8 flags", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench-runtime-" });
  try {
    const write = (start: unknown) =>
      Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ tasks: { start } }));
    await write({
      command:
        "MALLOC_ARENA_MAX=2 FOO=bar deno run --v8-flags=--max-semi-space-size=8 --allow-net main.ts",
    });
    assert.deepEqual(startTaskRuntime(dir), {
      flags: ["--v8-flags=--max-semi-space-size=8"],
      env: { MALLOC_ARENA_MAX: "2", FOO: "bar" },
    });
    await write("deno run --allow-net main.ts");
    assert.deepEqual(startTaskRuntime(dir), { flags: [], env: {} });
    await Deno.remove(`${dir}/deno.json`);
    assert.deepEqual(startTaskRuntime(dir), { flags: [], env: {} });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
