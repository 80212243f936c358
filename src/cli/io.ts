/**
 * Where the CLI reads and writes: the process by default, anything in tests
 * or when embedding `runCli`.
 *
 * @module
 */

/**
 * The input, output, environment and cancellation `runCli` uses. Every field
 * is optional; the default is the current process.
 *
 * @example Capture the output of a command
 * ```ts
 * import type { CliIo } from "@realtime/hub/cli";
 *
 * let out = "";
 * const io: CliIo = { stdout: (text) => out += text, env: {} };
 * ```
 */
export interface CliIo {
  /** Standard input, read by `publish`, `connect` and `token inspect -`. @default {Deno.stdin.readable} */
  stdin?: ReadableStream<Uint8Array>;
  /** Writes text to standard output. @default {writes to Deno.stdout} */
  stdout?: (text: string) => void;
  /** Writes text to standard error. @default {writes to Deno.stderr} */
  stderr?: (text: string) => void;
  /** Environment variables. @default {Deno.env.toObject()} */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Whether standard output is a terminal, which enables colour (unless
   * `NO_COLOR` is set or `--no-color` is given).
   *
   * @default {Deno.stdout.isTerminal()}
   */
  terminal?: boolean;
  /**
   * Stops long-running commands (`serve`, `tail`, `connect`), which then
   * exit with 0.
   *
   * @default {an AbortSignal fired by SIGINT or SIGTERM}
   */
  signal?: AbortSignal;
}

/** {@linkcode CliIo} with every default applied. */
export interface ResolvedIo extends Disposable {
  /** Standard input, opened on first use. */
  stdin(): ReadableStream<Uint8Array>;
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** The environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether standard output is a terminal. */
  readonly terminal: boolean;
  /** Whether stdin and stdout are the process's own terminal, so node:readline can edit lines. */
  readonly lineEditing: boolean;
  /**
   * Fires on SIGINT or SIGTERM (or the caller's signal), or when the reader
   * of standard output went away. The process listeners are installed on
   * first use only, so commands that never look at it keep the default
   * Ctrl-C behaviour.
   */
  readonly signal: AbortSignal;
}

function writer(
  file: { writeSync(p: Uint8Array): number },
  onBroken: () => void,
): (text: string) => void {
  const encoder = new TextEncoder();
  let broken = false;
  return (text) => {
    let bytes = encoder.encode(text);
    try {
      while (!broken && bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      broken = true;
      onBroken();
    }
  };
}

/**
 * Applies the defaults of {@linkcode CliIo}.
 *
 * @param io What the caller gave.
 * @returns The resolved I/O; dispose it to remove any signal listener.
 */
export function resolveIo(io: CliIo): ResolvedIo {
  const listeners: [Deno.Signal, () => void][] = [];
  let signal: AbortSignal | undefined;
  const processSignal = () => {
    const controller = new AbortController();
    for (const name of ["SIGINT", "SIGTERM"] as const) {
      const listener = () => controller.abort(new Error(name));
      try {
        Deno.addSignalListener(name, listener);
        listeners.push([name, listener]);
      } catch {
        // SIGTERM cannot be listened to on Windows; Ctrl-C still works
      }
    }
    return controller.signal;
  };
  // The reader of stdout went away (`tail ... | head -1`): stop, as SIGPIPE stops Unix tools.
  const outputGone = new AbortController();
  const stdout = io.stdout ?? writer(Deno.stdout, () => outputGone.abort());
  const stderr = io.stderr ?? writer(Deno.stderr, () => {});
  return {
    stdin: () => io.stdin ?? Deno.stdin.readable,
    stdout,
    stderr,
    env: io.env ?? Deno.env.toObject(),
    terminal: io.terminal ?? (io.stdout === undefined && Deno.stdout.isTerminal()),
    lineEditing: io.stdin === undefined && io.stdout === undefined && Deno.stdin.isTerminal() &&
      Deno.stdout.isTerminal(),
    get signal() {
      signal ??= AbortSignal.any([io.signal ?? processSignal(), outputGone.signal]);
      return signal;
    },
    [Symbol.dispose]() {
      for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
      listeners.length = 0;
    },
  };
}
