// The FastAPI example backend (examples/fastapi/app.py) under Debian's
// uvicorn, on a free 127.0.0.1 port, stopped by its PID.

const APP_DIR = new URL("../../examples/fastapi/", import.meta.url).pathname;
const READY_TIMEOUT_MS = 20_000;
const PYTHON = "/usr/bin/python3";

export interface FastApiBackend extends AsyncDisposable {
  readonly port: number;
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** What uvicorn wrote to stderr so far (bounded). */
  stderr(): string;
  /** SIGTERM, SIGKILL after 3 s; resolves once it exited. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL now, as a crash; resolves once it exited. */
  kill(): Promise<void>;
}

/** Whether Debian's FastAPI, uvicorn and PyJWT are installed. */
export function hasFastApi(): boolean {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", "import fastapi, uvicorn, jwt"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/** A port nobody listens on now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts the example on a free port (or `port`) and waits until it answers;
 * `env` adds variables (REALTIME_WEBHOOK_SECRET, WEBHOOK_DB).
 */
export async function startFastApi(
  secret: string,
  port = freePort(),
  env: Record<string, string> = {},
): Promise<FastApiBackend> {
  const child = new Deno.Command(PYTHON, {
    args: ["-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", `${port}`],
    cwd: APP_DIR,
    env: { ...env, REALTIME_PROXY_SECRET: secret, PYTHONDONTWRITEBYTECODE: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let errText = "";
  const drained = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      if (errText.length < 64 * 1024) errText += decoder.decode(chunk, { stream: true });
    }
  })();
  let done = false;
  const exited = child.status.then(async (status) => {
    done = true;
    await drained.catch(() => {});
    return status;
  });
  const url = `http://127.0.0.1:${port}`;
  const backend: FastApiBackend = {
    port,
    pid: child.pid,
    url,
    stderr: () => errText,
    async stop() {
      if (!done) child.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        exited,
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            if (!done) child.kill("SIGKILL");
            resolve();
          }, 3000);
        }),
      ]);
      clearTimeout(timer);
      await exited;
    },
    async kill() {
      if (!done) child.kill("SIGKILL");
      await exited;
    },
    async [Symbol.asyncDispose]() {
      await backend.stop();
    },
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    if (done) throw new Error(`uvicorn exited: ${errText.trim()}`);
    try {
      const res = await fetch(`${url}/messages`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.ok) return backend;
    } catch { /* not yet */ }
    if (Date.now() > deadline) {
      await backend.stop();
      throw new Error(`uvicorn not ready in ${READY_TIMEOUT_MS} ms: ${errText.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
