// The hub as a real subprocess, started the way `deno task start` starts it
// (the same permissions, no unstable flag), in a scratch directory so its
// development key is its own. The repo's deno.json and deno.lock are named
// explicitly and the lock is frozen: the scratch directory has neither, and
// a hub must not resolve a dependency afresh at run time.

import { fileURLToPath } from "node:url";

const REPO = new URL("../../", import.meta.url);

export interface HubProcess {
  readonly url: string;
  /** Everything the process wrote to stderr so far (its JSON log). */
  readonly stderr: () => string;
  /** SIGKILL: no close frames, like a crash. */
  kill(): Promise<void>;
  /** SIGTERM: the hub sends 1001 and exits. */
  stop(): Promise<void>;
}

/** Finds a free port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Options of {@linkcode startHubProcess}. */
export interface HubProcessOptions {
  /** Environment variables besides `PORT`. @default {{}} */
  env?: Record<string, string>;
  /** How long to wait for "listening on". @default {30_000} */
  timeoutMs?: number;
  /**
   * The package to run the hub from: a directory holding `deno.json`,
   * `deno.lock` and `src/server/main.ts`.
   *
   * @default {the repository}
   */
  root?: string | URL;
  /** More `deno run` flags, such as `--cached-only`. @default {[]} */
  denoArgs?: string[];
}

/** Starts `src/server/main.ts` in `dir` on `port` and waits until it listens. */
export async function startHubProcess(
  dir: string,
  port: number,
  options: HubProcessOptions = {},
): Promise<HubProcess> {
  const { env = {}, timeoutMs = 30_000, denoArgs = [] } = options;
  const root = options.root ?? REPO;
  const path = (file: string) =>
    typeof root === "string" ? `${root}/${file}` : fileURLToPath(new URL(file, root));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write=.realtime",
      "--config",
      path("deno.json"),
      "--lock",
      path("deno.lock"),
      "--frozen",
      ...denoArgs,
      path("src/server/main.ts"),
    ],
    cwd: dir,
    env: { PORT: String(port), NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Drain stderr all along: a full pipe would block the server.
  let errText = "";
  const errDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (errText += chunk) }),
  ).catch(() => {});
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let outText = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Hub did not start in ${timeoutMs} ms: ${outText}\n${errText}`)),
      timeoutMs,
    );
  });
  try {
    while (!outText.includes("listening on")) {
      const { value, done } = await Promise.race([reader.read(), timedOut]);
      if (done) throw new Error(`Hub exited before listening: ${outText}\n${errText}`);
      outText += value;
    }
  } finally {
    clearTimeout(timer);
  }
  // Keep draining stdout too.
  const outDone = (async () => {
    try {
      while (!(await reader.read()).done) { /* discard */ }
    } catch { /* closed */ }
  })();
  const exited = async () => {
    await child.status;
    await Promise.all([errDone, outDone]);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    stderr: () => errText,
    kill: async () => {
      child.kill("SIGKILL");
      await exited();
    },
    stop: async () => {
      child.kill("SIGTERM");
      await exited();
    },
  };
}
