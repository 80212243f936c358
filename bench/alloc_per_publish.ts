// deno-lint-ignore-file no-console
/**
 * Bytes the hub allocates per protocol v1 publish frame, without sockets:
 * the heap used across one iteration of `bench/publish_path.ts` (1,000
 * fire-and-forget frames to 1,000 topics with one subscriber each, then the
 * end of the turn), divided by its frames. Garbage is the cost measured here:
 * what the hub allocates on the publish path is what its young-generation
 * collections scan and copy, the GC share of the `fire_and_forget` gap.
 *
 * The young generation must be big enough that no collection runs within an
 * iteration (it would free part of what is counted): run with
 * `--v8-flags=--max-semi-space-size=256`. An iteration across which the heap
 * shrank (a collection ran anyway) is dropped; the median of the rest is
 * reported. With `--bare`, the `bare-deno` loop on the same frames; with
 * `--base DIR`, a second checkout's hub in the same process.
 *
 * Run: `deno run --allow-env --allow-read --v8-flags=--max-semi-space-size=256 bench/alloc_per_publish.ts [--bare] [--base DIR]`.
 *
 * @module
 */

import { barePath, type Iteration, publishPath } from "./publish_path.ts";

const FRAMES = 1000;

/** Median bytes of heap used per frame over `iterations` iterations. */
async function bytesPerFrame(iteration: Iteration, iterations: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const frames = iteration.prepare();
    const before = Deno.memoryUsage().heapUsed;
    iteration.run(frames);
    // The turn ends: the hub's promise reactions run, as between socket reads.
    await Promise.resolve();
    const after = Deno.memoryUsage().heapUsed;
    if (after > before) samples.push((after - before) / FRAMES);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--base");
  const here = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const subjects = [{ name: "this checkout", run: await publishPath(here) }];
  if (at >= 0) {
    subjects.push({ name: Deno.args[at + 1], run: await publishPath(Deno.args[at + 1]) });
  }
  if (Deno.args.includes("--bare")) subjects.push({ name: "bare loop", run: barePath() });
  for (const { run } of subjects) await bytesPerFrame(run, 100); // warm-up: compiled, caches filled
  for (const { name, run } of subjects) {
    console.log(`${name}: ${Math.round(await bytesPerFrame(run, 60))} B per publish frame`);
  }
  Deno.exit(0);
}
