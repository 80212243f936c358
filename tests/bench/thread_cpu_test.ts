// The per-thread CPU split of `deno task bench` (BENCH_THREAD_CPU): /proc parsing and the split between marks.

import assert from "node:assert/strict";
import { parseTaskStat, sampleThreads, threadCpuBetween } from "../../bench/_thread_cpu.ts";

Deno.test("parseTaskStat reads a name with spaces and parentheses, and the user and kernel ticks", () => {
  const stat = "41 (a (b) c) R 1 1 1 0 -1 4194304 0 0 0 0 7 2 0 0 20 0 1 0 5 0 0";
  assert.deepEqual(parseTaskStat(41, stat), {
    tid: 41,
    name: "a (b) c",
    userUs: 70_000,
    systemUs: 20_000,
  });
  assert.deepEqual(parseTaskStat(41, "garbage"), undefined);
});

Deno.test("threadCpuBetween keeps the main thread apart and sums the others by name", () => {
  const before = [
    { tid: 5, name: "deno", userUs: 1_000, systemUs: 500 },
    { tid: 6, name: "V8 DefaultWorke", userUs: 10, systemUs: 0 },
    { tid: 7, name: "deno", userUs: 0, systemUs: 0 },
  ];
  const after = [
    { tid: 5, name: "deno", userUs: 3_000, systemUs: 2_500 },
    { tid: 6, name: "V8 DefaultWorke", userUs: 40, systemUs: 10 },
    // Started between the samples: counted from zero.
    { tid: 8, name: "V8 DefaultWorke", userUs: 20, systemUs: 0 },
    // Idle: no row.
    { tid: 7, name: "deno", userUs: 0, systemUs: 0 },
  ];
  assert.deepEqual(threadCpuBetween(5, before, after), [
    { thread: "main", userUs: 2_000, systemUs: 2_000 },
    { thread: "V8 DefaultWorke", userUs: 50, systemUs: 10 },
  ]);
});

Deno.test("sampleThreads reads this process's threads, and none of a process that is gone", () => {
  const samples = sampleThreads(Deno.pid);
  const main = samples.find((sample) => sample.tid === Deno.pid);
  assert.ok(main !== undefined, "the main thread is listed");
  assert.ok(main.userUs + main.systemUs >= 0);
  assert.deepEqual(sampleThreads(2 ** 22 + 1), []);
});
