/**
 * A server's CPU time by thread between two marks of a scenario, from
 * `/proc/<pid>/task/*\/stat`: the main thread's user and kernel time apart,
 * and V8's helper threads (parallel garbage collection, `V8 DefaultWorke`)
 * apart from both. The process total the scenarios report cannot tell a
 * server that runs more JavaScript from one that makes more system calls or
 * collects more garbage; this can. `deno task bench` writes it for every run
 * when `BENCH_THREAD_CPU` names a file (one JSON line per run).
 *
 * @module
 */

const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux x86_64

/** The CPU time of one thread at one moment. */
export interface ThreadSample {
  /** The thread id (the process id for the main thread). */
  readonly tid: number;
  /** The thread's name (`comm`, at most 15 bytes), e.g. `deno` or `V8 DefaultWorke`. */
  readonly name: string;
  /** User time, microseconds (10 ms resolution). */
  readonly userUs: number;
  /** Kernel time, microseconds (10 ms resolution). */
  readonly systemUs: number;
}

/** The CPU time one kind of thread spent between two samples. */
export interface ThreadCpu {
  /** `main`, or the threads' name. */
  readonly thread: string;
  /** User time, microseconds. */
  readonly userUs: number;
  /** Kernel time, microseconds. */
  readonly systemUs: number;
}

/**
 * Reads one thread's line of `/proc/<pid>/task/<tid>/stat` (or a process's
 * `/proc/<pid>/stat`, the same fields summed over its threads).
 *
 * @param tid The thread id.
 * @param stat The file's text.
 * @returns The sample, or `undefined` when the line is not one.
 *
 * @example Read a thread's times
 * ```ts
 * import { parseTaskStat } from "./_thread_cpu.ts";
 * import assert from "node:assert/strict";
 *
 * const stat = "12 (V8 DefaultWorke) S 1 1 1 0 -1 4194368 9 0 0 0 25 3 0 0 20 0 9 0 1 0 0";
 * assert.deepEqual(parseTaskStat(12, stat), {
 *   tid: 12,
 *   name: "V8 DefaultWorke",
 *   userUs: 250_000,
 *   systemUs: 30_000,
 * });
 * ```
 */
export function parseTaskStat(tid: number, stat: string): ThreadSample | undefined {
  const open = stat.indexOf("(");
  // The name may hold spaces and parentheses: it ends at the last one.
  const close = stat.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const fields = stat.slice(close + 2).split(" ");
  const user = Number(fields[11]); // fields 14 and 15 of stat(5)
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) return undefined;
  return {
    tid,
    name: stat.slice(open + 1, close),
    userUs: user * 1e6 / TICKS_PER_SECOND,
    systemUs: system * 1e6 / TICKS_PER_SECOND,
  };
}

/**
 * Samples every thread of a process.
 *
 * @param pid The process id.
 * @returns One sample per live thread; none when the process is gone.
 */
export function sampleThreads(pid: number): ThreadSample[] {
  const samples: ThreadSample[] = [];
  try {
    for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
      const tid = Number(entry.name);
      try {
        const sample = parseTaskStat(tid, Deno.readTextFileSync(`/proc/${pid}/task/${tid}/stat`));
        if (sample !== undefined) samples.push(sample);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // The process is gone.
  }
  return samples;
}

/**
 * What each kind of thread spent between two samples of one process: the
 * main thread (`tid === pid`) as `main`, the others summed by name. A thread
 * started after the first sample counts from zero; one that ended before
 * the second is not counted (its time is lost to /proc).
 *
 * @param pid The process id.
 * @param before The first sample.
 * @param after The second sample.
 * @returns One row per kind of thread that spent time, busiest first.
 *
 * @example The main thread apart from the garbage collector's helpers
 * ```ts
 * import { threadCpuBetween } from "./_thread_cpu.ts";
 * import assert from "node:assert/strict";
 *
 * const gc = (tid: number, userUs: number) => ({ tid, name: "V8 DefaultWorke", userUs, systemUs: 0 });
 * const before = [{ tid: 7, name: "deno", userUs: 100, systemUs: 50 }, gc(8, 10)];
 * const after = [{ tid: 7, name: "deno", userUs: 400, systemUs: 250 }, gc(8, 30), gc(9, 5)];
 * assert.deepEqual(threadCpuBetween(7, before, after), [
 *   { thread: "main", userUs: 300, systemUs: 200 },
 *   { thread: "V8 DefaultWorke", userUs: 25, systemUs: 0 },
 * ]);
 * ```
 */
export function threadCpuBetween(
  pid: number,
  before: readonly ThreadSample[],
  after: readonly ThreadSample[],
): ThreadCpu[] {
  const earlier = new Map(before.map((sample) => [sample.tid, sample]));
  const rows = new Map<string, { userUs: number; systemUs: number }>();
  for (const sample of after) {
    const start = earlier.get(sample.tid);
    const thread = sample.tid === pid ? "main" : sample.name;
    const row = rows.get(thread) ?? { userUs: 0, systemUs: 0 };
    row.userUs += sample.userUs - (start?.userUs ?? 0);
    row.systemUs += sample.systemUs - (start?.systemUs ?? 0);
    rows.set(thread, row);
  }
  return [...rows]
    .map(([thread, { userUs, systemUs }]) => ({ thread, userUs, systemUs }))
    .filter((row) => row.userUs + row.systemUs > 0)
    .sort((a, b) => b.userUs + b.systemUs - (a.userUs + a.systemUs));
}
