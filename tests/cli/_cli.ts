// Runs the real CLI as a subprocess and waits on its output lines, each wait
// with a timeout. Nothing sleeps.

const ROOT = new URL("../../", import.meta.url);
export const CLI = new URL("cli.ts", ROOT).pathname;
export const CONFIG = new URL("deno.json", ROOT).pathname;
export const ROOT_DIR = ROOT.pathname;

/** The environment the CLI gets: only what Deno needs, plus the test's own variables. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `realtime-cli args...` to completion. */
export async function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  await using child = new CliProcess(args, { ...options, stdin: options.stdin !== undefined });
  if (options.stdin !== undefined) {
    await child.write(options.stdin);
    await child.closeStdin();
  }
  return await child.status(options.timeoutMs ?? 20_000);
}

class Lines {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      let buffer = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        let at;
        while ((at = buffer.indexOf("\n")) >= 0) {
          this.lines.push(buffer.slice(0, at));
          buffer = buffer.slice(at + 1);
        }
        this.#wake();
      }
      if (buffer !== "") this.lines.push(buffer);
      this.#ended = true;
      this.#wake();
    })();
  }

  #wake() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  get text(): string {
    return this.lines.map((l) => l + "\n").join("");
  }

  /** Waits for the `nth` (from 1) line matching `match`. */
  async wait(match: RegExp, timeoutMs: number, nth = 1, what = "output"): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = this.lines.filter((l) => match.test(l));
      if (found.length >= nth) return found[nth - 1];
      const remaining = deadline - Date.now();
      if (this.#ended || remaining <= 0) {
        throw new Error(
          `${
            this.#ended ? "Stream ended" : `Timed out after ${timeoutMs} ms`
          } waiting for ${what} ${match} (#${nth}); got:\n${this.text}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, remaining);
      });
      clearTimeout(timer);
    }
  }
}

/** A running `realtime-cli` process. */
export class CliProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: Lines;
  readonly stderr: Lines;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #status: Promise<Deno.CommandStatus>;

  constructor(
    args: string[],
    options: { cwd?: string; env?: Record<string, string>; stdin?: boolean } = {},
  ) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", CONFIG, CLI, ...args],
      cwd: options.cwd ?? ROOT_DIR,
      env: options.env ?? baseEnv(),
      clearEnv: true,
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.stdout = new Lines(this.child.stdout);
    this.stderr = new Lines(this.child.stderr);
    this.#writer = options.stdin ? this.child.stdin.getWriter() : undefined;
    this.#status = this.child.status;
  }

  async write(text: string): Promise<void> {
    await this.#writer!.write(new TextEncoder().encode(text));
  }

  async closeStdin(): Promise<void> {
    const writer = this.#writer;
    this.#writer = undefined;
    await writer?.close().catch(() => {});
  }

  /** Waits for a line on stdout. */
  out(match: RegExp, timeoutMs = 15_000, nth = 1): Promise<string> {
    return this.stdout.wait(match, timeoutMs, nth, "stdout");
  }

  /** Waits for a line on stderr. */
  err(match: RegExp, timeoutMs = 15_000, nth = 1): Promise<string> {
    return this.stderr.wait(match, timeoutMs, nth, "stderr");
  }

  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(signal);
    } catch {
      // already exited
    }
  }

  /** Waits for the exit (killing the process after `timeoutMs`) and all output. */
  async status(timeoutMs = 20_000): Promise<RunResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let timedOut = false;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        this.kill("SIGKILL");
        resolve();
      }, timeoutMs);
    });
    await this.closeStdin();
    const status = await Promise.race([this.#status, timeout.then(() => this.#status)]);
    clearTimeout(timer);
    await Promise.all([this.stdout.done, this.stderr.done]);
    if (timedOut) {
      throw new Error(
        `realtime-cli did not exit within ${timeoutMs} ms\nstdout:\n${this.stdout.text}\nstderr:\n${this.stderr.text}`,
      );
    }
    return { code: status.code, stdout: this.stdout.text, stderr: this.stderr.text };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.closeStdin();
    await this.#status;
    await Promise.all([this.stdout.done, this.stderr.done]);
  }
}

/** A port that was free a moment ago, on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts `realtime-cli serve` on 127.0.0.1 and waits until it listens. */
export async function startServe(
  cwd: string,
  port: number,
  env: Record<string, string> = {},
  extra: string[] = [],
): Promise<CliProcess> {
  const serve = new CliProcess(
    ["serve", "--host", "127.0.0.1", "--port", String(port), ...extra],
    { cwd, env: baseEnv(env) },
  );
  try {
    await serve.out(/^realtime hub listening on /, 20_000);
  } catch (error) {
    await serve[Symbol.asyncDispose]();
    throw error;
  }
  return serve;
}
