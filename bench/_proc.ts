/**
 * Processes and /proc: starting a pinned child, reading its CPU time and
 * resident memory, and stopping it with a hard deadline.
 *
 * @module
 */

import { parseTaskStat } from "./_thread_cpu.ts";

/** CPU time and memory of one process at one moment. */
export interface ProcSample {
  /** utime + stime of every thread, in microseconds (10 ms resolution). */
  readonly cpuUs: number;
  /** Resident set size, KiB (`VmRSS`). */
  readonly rssKiB: number;
  /** When the sample was taken, `performance.now()` ms. */
  readonly at: number;
}

/**
 * Reads utime + stime and VmRSS of a process from /proc.
 *
 * @param pid The process id.
 * @returns The sample; zeros when the process is gone.
 */
export function sampleProc(pid: number): ProcSample {
  const at = performance.now();
  try {
    // The process's line has the same fields as a thread's, summed over its threads.
    const times = parseTaskStat(pid, Deno.readTextFileSync(`/proc/${pid}/stat`));
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return {
      cpuUs: times === undefined ? 0 : times.userUs + times.systemUs,
      rssKiB: rss ? Number(rss[1]) : 0,
      at,
    };
  } catch {
    return { cpuUs: 0, rssKiB: 0, at };
  }
}

/**
 * Whether `taskset` can pin processes here.
 *
 * @returns `true` when `taskset -c 0 true` succeeds.
 */
export async function canPin(): Promise<boolean> {
  return await capture("taskset", ["-c", "0", "true"]) !== undefined;
}

/** Options of {@linkcode startProcess}. */
export interface StartOptions {
  /** The CPU core to pin to with `taskset` (check {@linkcode canPin} first); unpinned when absent. */
  core?: number;
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Where stderr goes: a file path (appended), or discarded. */
  stderrFile?: string;
}

/** A started child process whose stdout is read line by line. */
export interface Child extends AsyncDisposable {
  /** The pid (`sh` and `taskset` exec, so it is the benchmarked process itself). */
  readonly pid: number;
  /** The next stdout line, or `undefined` at end of output or after `timeoutMs`. */
  nextLine(timeoutMs: number): Promise<string | undefined>;
  /** Writes one line to stdin. */
  writeLine(line: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a process with piped stdin/stdout, optionally pinned to one core.
 *
 * @param command The program.
 * @param args Its arguments.
 * @param options Core, working directory, environment, stderr file.
 * @returns The running child.
 */
export async function startProcess(
  command: string,
  args: string[],
  options: StartOptions = {},
): Promise<Child> {
  const pin = options.core === undefined ? [] : ["taskset", "-c", String(options.core)];
  // sh raises the soft open-files limit to the hard one, then every program
  // in the chain execs, so the pid is the benchmarked process itself.
  const proc = new Deno.Command("sh", {
    args: [
      "-c",
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
      "sh",
      ...pin,
      command,
      ...args,
    ],
    cwd: options.cwd,
    env: options.env,
    stdin: "piped",
    stdout: "piped",
    stderr: options.stderrFile === undefined ? "null" : "piped",
  }).spawn();
  if (options.stderrFile !== undefined) {
    const file = await Deno.open(options.stderrFile, { create: true, append: true });
    void proc.stderr.pipeTo(file.writable).catch(() => {});
  }
  const lines = proc.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter())
    .getReader();
  const writer = proc.stdin.getWriter();
  const encoder = new TextEncoder();
  let exited = false;
  const status = proc.status.then((s) => {
    exited = true;
    return s;
  });
  let pendingRead: Promise<ReadableStreamReadResult<string>> | undefined;

  async function nextLine(timeoutMs: number): Promise<string | undefined> {
    pendingRead ??= lines.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const result = await Promise.race([pendingRead, timeout]);
      if (result === "timeout") return undefined;
      pendingRead = undefined;
      return result.done ? undefined : result.value;
    } finally {
      clearTimeout(timer);
    }
  }

  async function stop(graceMs = 3000): Promise<void> {
    if (!exited) {
      try {
        proc.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([status, deadline]);
      clearTimeout(timer);
      if (!exited) {
        try {
          proc.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }
    }
    await status;
    await writer.close().catch(() => {});
    await lines.cancel().catch(() => {});
  }

  return {
    pid: proc.pid,
    nextLine,
    writeLine: (line) => writer.write(encoder.encode(line + "\n")),
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
}

/**
 * Reads lines until one starts with `prefix`.
 *
 * @param child The child process.
 * @param prefix What the wanted line starts with.
 * @param timeoutMs Overall deadline.
 * @returns The rest of the line after the prefix, or `undefined` on timeout or exit.
 */
export async function waitForLine(
  child: Child,
  prefix: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const left = deadline - performance.now();
    if (left <= 0) return undefined;
    const line = await child.nextLine(left);
    if (line === undefined) return undefined;
    if (line.startsWith(prefix)) return line.slice(prefix.length);
  }
}

/**
 * Finds a free TCP port on 127.0.0.1 (for servers that cannot report theirs).
 *
 * @returns A port that was free a moment ago.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Waits until a TCP port accepts connections.
 *
 * @param port The port on 127.0.0.1.
 * @param timeoutMs Deadline.
 * @returns Whether it did in time.
 */
export async function waitForPort(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return false;
}

/**
 * Runs a command to completion and returns its trimmed stdout.
 *
 * @param command The program.
 * @param args Its arguments.
 * @returns stdout, or `undefined` when the program is missing or failed.
 */
export async function capture(command: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

function lineSplitter(): TransformStream<string, string> {
  let buffered = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffered += chunk;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        controller.enqueue(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
      }
    },
    flush(controller) {
      if (buffered.length > 0) controller.enqueue(buffered);
    },
  });
}
