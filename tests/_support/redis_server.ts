// Starts a real redis-server on a free 127.0.0.1 port for tests: no
// persistence, a temporary directory, stopped by PID. Readiness is the
// server's own "Ready to accept connections" line (a Sentinel's "Sentinel ID
// is") followed by a PING over a real socket; nothing sleeps. The same
// helper starts Redis Cluster nodes (with their bus on a second free port)
// and Sentinels (redis_sentinel.ts and redis_cluster.ts build sets of them).

const READY_TIMEOUT_MS = 10_000;

export interface RedisServer extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Runs one command with redis-cli and returns its raw output, trimmed. */
  cli(...args: string[]): Promise<string>;
  /** SIGTERM and wait for the exit. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit, as a crash. */
  kill(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets open but answers nothing, as a hung host. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Starts the server again on the same port after stop() or kill(); its data is gone. */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** Extra arguments, such as ["--maxmemory-policy", "allkeys-lru"]. */
  readonly args?: readonly string[];
  /** Run as a Redis Cluster node: `cluster-enabled`, its bus on a second free port, this node timeout. */
  readonly clusterNodeTimeoutMs?: number;
  /** Run as a Sentinel (`redis-server <file> --sentinel`) with these configuration lines. */
  readonly sentinel?: readonly string[];
  /** Clients and replicas authenticate with it (`requirepass`, `masterauth`; a Sentinel's own in its lines). */
  readonly password?: string;
}

interface Running {
  child: Deno.ChildProcess;
  drained: Promise<void>;
  exited: Promise<Deno.CommandStatus>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "realtime-redis-" });
  let port = freePort();
  let args = await argsFor(port, dir, options);
  let running: Running | undefined;
  for (let attempt = 0; running === undefined; attempt++) {
    try {
      running = await launch(port, dir, args, options);
    } catch (error) {
      if (attempt >= 3) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        throw error;
      }
      port = freePort(); // another process took the port between the probe and the start
      args = await argsFor(port, dir, options);
    }
  }
  let current: Running | undefined = running;
  const halt = async (signal: Deno.Signal) => {
    const run = current;
    current = undefined;
    if (run === undefined) return;
    try {
      run.child.kill("SIGCONT"); // a paused server cannot act on SIGTERM
      run.child.kill(signal);
    } catch { /* already gone */ }
    await run.exited;
    await run.drained;
  };
  const unload = () => {
    try {
      current?.child.kill("SIGKILL");
    } catch { /* already gone */ }
  };
  globalThis.addEventListener("unload", unload);
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return current?.child.pid ?? -1;
    },
    async cli(...args: string[]) {
      const out = await new Deno.Command("redis-cli", {
        args: [
          "-h",
          "127.0.0.1",
          "-p",
          `${port}`,
          ...(options.password === undefined ? [] : ["-a", options.password, "--no-auth-warning"]),
          ...args,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(out.stdout).trim();
    },
    stop: () => halt("SIGTERM"),
    pause: () => current?.child.kill("SIGSTOP"),
    resume: () => current?.child.kill("SIGCONT"),
    kill: () => halt("SIGKILL"),
    async restart() {
      await halt("SIGTERM");
      current = await launch(port, dir, args, options);
    },
    async [Symbol.asyncDispose]() {
      await halt("SIGTERM");
      globalThis.removeEventListener("unload", unload);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return server;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The arguments after the common ones: a Sentinel's configuration file first, a Cluster node's bus port. */
async function argsFor(port: number, dir: string, options: RedisServerOptions): Promise<string[]> {
  const args = [...(options.args ?? [])];
  if (options.clusterNodeTimeoutMs !== undefined) {
    args.push(
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      `${dir}/nodes-${port}.conf`,
      "--cluster-port",
      `${freePort()}`,
      "--cluster-node-timeout",
      `${options.clusterNodeTimeoutMs}`,
    );
  }
  if (options.password !== undefined && options.sentinel === undefined) {
    args.push("--requirepass", options.password, "--masterauth", options.password);
  }
  if (options.sentinel !== undefined) {
    // A Sentinel rewrites its file: each run of one server has its own.
    const file = `${dir}/sentinel-${port}.conf`;
    await Deno.writeTextFile(file, options.sentinel.join("\n") + "\n");
    args.unshift(file, "--sentinel");
  }
  return args;
}

async function launch(
  port: number,
  dir: string,
  extra: readonly string[],
  options: RedisServerOptions,
): Promise<Running> {
  const sentinel = options.sentinel !== undefined;
  const [file, ...rest] = sentinel ? extra : [];
  const child = new Deno.Command("redis-server", {
    args: [
      ...(sentinel ? [file] : []),
      "--port",
      `${port}`,
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--logfile",
      "",
      ...(sentinel ? [] : [
        // A replica's first sync starts at once instead of after 5 s.
        "--repl-diskless-sync-delay",
        "0",
      ]),
      ...(sentinel ? rest : extra),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const exited = child.status;
  const ready = Promise.withResolvers<void>();
  // Keep reading stdout until the process ends, so its log never blocks it.
  const drained = (async () => {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of child.stdout) {
      if (text.length < 65_536) {
        text += decoder.decode(chunk, { stream: true });
        if (text.includes(sentinel ? "Sentinel ID is" : "Ready to accept connections")) {
          ready.resolve();
        }
      }
    }
    ready.reject(new Error(`redis-server on port ${port} exited before it was ready: ${text}`));
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      ready.promise,
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`redis-server on port ${port} not ready in ${READY_TIMEOUT_MS} ms`)),
          READY_TIMEOUT_MS,
        );
      }),
    ]);
    await ping(port, options.password);
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await exited;
    await drained.catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { child, drained: drained.catch(() => {}), exited };
}

async function ping(port: number, password: string | undefined): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    if (password !== undefined) {
      await conn.write(new TextEncoder().encode(`AUTH ${password}\r\n`));
      const n = await conn.read(new Uint8Array(64));
      if (n === null) throw new Error("Closed during AUTH");
    }
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(16);
    const n = await conn.read(buffer);
    const reply = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    if (!reply.startsWith("+PONG")) throw new Error(`Unexpected reply to PING: ${reply}`);
  } finally {
    conn.close();
  }
}
