// Starts Debian's nginx for tests: one process (`master_process off`, `daemon
// off`), a temporary prefix directory holding its config, logs, pid file and
// temp paths, listening on a free 127.0.0.1 port, stopped by PID. The site
// (an http-context snippet, such as the one docs/deploy.md documents) is the
// caller's. Readiness is a bounded poll of the port; an nginx that exits
// first fails the start with its error log. Killed when the test process
// unloads, whatever happened.

import { nginxBin } from "../../scripts/_system_deps.ts";

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface Nginx extends AsyncDisposable {
  readonly port: number;
  readonly pid: number;
  /** `ws://127.0.0.1:<port>/ws` */
  readonly url: string;
  /** `http://127.0.0.1:<port>` */
  readonly http: string;
  /** nginx's error log so far. */
  errorLog(): Promise<string>;
  /** SIGTERM (SIGKILL after 5 s); resolves once it exited. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts nginx with `site(port)` inside its `http` block, `port` being the
 * free port it must listen on.
 */
export async function startNginx(site: (port: number) => string): Promise<Nginx> {
  const bin = nginxBin();
  if (bin === undefined) {
    throw new Error("nginx is not installed: apt-get install -y nginx (deno task test does it)");
  }
  const dir = await Deno.makeTempDir({ prefix: "realtime-nginx-" });
  for (let attempt = 0;; attempt++) {
    const port = freePort();
    try {
      return await launch(bin, dir, port, site(port));
    } catch (error) {
      // Another process may have taken the port between the probe and the start.
      if (attempt >= 2 || !(error instanceof PortTaken)) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        throw error;
      }
    }
  }
}

class PortTaken extends Error {}

async function launch(bin: string, dir: string, port: number, site: string): Promise<Nginx> {
  const conf = `${dir}/nginx.conf`;
  const errorLog = `${dir}/error.log`;
  await Deno.writeTextFile(
    conf,
    [
      "daemon off;",
      "master_process off;",
      `pid ${dir}/nginx.pid;`,
      `error_log ${errorLog} info;`,
      "events { worker_connections 1024; }",
      "http {",
      `  access_log ${dir}/access.log;`,
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((name) =>
        `  ${name}_temp_path ${dir}/${name};`
      ),
      site,
      "}",
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(errorLog, "");
  const child = new Deno.Command(bin, {
    args: ["-p", `${dir}/`, "-c", conf, "-e", errorLog],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const unload = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  };
  globalThis.addEventListener("unload", unload);
  let stderr = "";
  const drained = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      if (stderr.length < 65_536) stderr += decoder.decode(chunk, { stream: true });
    }
  })().catch(() => {});
  let done = false;
  const exited = child.status.then(async (status) => {
    done = true;
    await drained;
    globalThis.removeEventListener("unload", unload);
    return status;
  });
  const readLog = () => Deno.readTextFile(errorLog).catch(() => "");
  const halt = async (signal: Deno.Signal) => {
    try {
      if (!done) child.kill(signal);
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        try {
          if (!done) child.kill("SIGKILL");
        } catch { /* gone */ }
        resolve();
      }, STOP_TIMEOUT_MS);
    });
    await Promise.race([exited, late]);
    clearTimeout(timer);
    await exited;
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (done || Date.now() > deadline) {
      await halt("SIGKILL");
      const log = `${stderr}${await readLog()}`;
      if (log.includes("Address already in use")) throw new PortTaken(log);
      throw new Error(`nginx on port ${port} did not start: ${log.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const stop = async () => {
    await halt("SIGTERM");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    port,
    pid: child.pid,
    url: `ws://127.0.0.1:${port}/ws`,
    http: `http://127.0.0.1:${port}`,
    errorLog: async () => `${stderr}${await readLog()}`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
