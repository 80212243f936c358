// Real hub processes for multi-hub tests: each is `deno run src/server/main.ts`
// (what `deno task start` runs) with PORT, REALTIME_REDIS_URL, a shared
// REALTIME_JWT_SECRET and REALTIME_ENV=production, bound to 127.0.0.1.
// Readiness is a bounded poll of /healthz; a process that exits first fails
// the start with its stderr. Stopped by PID: SIGTERM (then SIGKILL after a
// bound), or SIGKILL at once for failover tests. Every process started here
// is killed when the test process unloads, whatever happened.

const MAIN = new URL("../../src/server/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const LOCK = new URL("../../deno.lock", import.meta.url).pathname;
/**
 * The permissions of `deno task start`, with the repository's config and its
 * lock named and frozen: the hub runs in a scratch directory, and must resolve
 * exactly what the lock pins whatever lies above that directory. And
 * `--cached-only`: on its dynamic import of the Redis engine, Deno otherwise
 * tries to fetch the npm registry's entries of the config's packages (a
 * `Download` line each) even though the lock and the cache hold all it needs.
 */
const RUN_FLAGS = [
  "run",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write=.realtime",
  "--config",
  CONFIG,
  "--lock",
  LOCK,
  "--frozen",
  "--cached-only",
];
/** Shared by every hub a test starts, so a token minted for one is valid on all. */
export const CLUSTER_SECRET = "hub-cluster-secret-of-at-least-32-bytes";
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const MAX_KEPT_OUTPUT = 64 * 1024;

export interface HubProcess extends AsyncDisposable {
  /** Index in its cluster (0 for a hub started alone). */
  readonly index: number;
  readonly port: number;
  readonly pid: number;
  /** `ws://127.0.0.1:<port>/ws` */
  readonly url: string;
  /** `http://127.0.0.1:<port>` */
  readonly http: string;
  /** Resolves with the exit status once the process ended. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** What the process wrote to stderr so far (bounded). */
  stderr(): string;
  /** GET /healthz: the status and the JSON body. */
  health(): Promise<{ status: number; body: unknown }>;
  /** SIGTERM, SIGKILL after 5 s; resolves once it exited. Idempotent. */
  stop(): Promise<Deno.CommandStatus>;
  /** SIGKILL now, as a crash; resolves once it exited. */
  kill(): Promise<Deno.CommandStatus>;
}

export interface HubProcessOptions {
  /** REALTIME_REDIS_URL; without it the hub runs on the in-memory engine. */
  readonly redisUrl?: string;
  /** REALTIME_TRANSPORT. @default {"ws"} */
  readonly transport?: "ws" | "deno";
  /** Extra environment, such as REALTIME_ADMIN_KEY. */
  readonly env?: Record<string, string>;
  /** A config file's content (`REALTIME_CONFIG`), such as `{ engine: { redis: { history } } }`. */
  readonly config?: Record<string, unknown>;
  /** Wait for /healthz to answer 200. @default {true} */
  readonly waitReady?: boolean;
}

/** Starts one hub process on a free 127.0.0.1 port and waits until /healthz answers 200. */
export async function startHubProcess(
  options: HubProcessOptions = {},
  index = 0,
): Promise<HubProcess> {
  const cwd = await Deno.makeTempDir({ prefix: "realtime-hub-" });
  const port = freePort();
  // The test's own environment (HOME, DENO_DIR: the module cache) minus any
  // setting of its own, so nothing but what is written here configures the hub.
  const inherited = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([k]) => !k.startsWith("REALTIME_") && k !== "PORT"),
  );
  const env: Record<string, string> = {
    ...inherited,
    PORT: `${port}`,
    REALTIME_HOST: "127.0.0.1",
    REALTIME_ENV: "production",
    REALTIME_JWT_SECRET: CLUSTER_SECRET,
    REALTIME_TRANSPORT: options.transport ?? "ws",
    NO_COLOR: "1",
    ...options.env,
  };
  if (options.redisUrl !== undefined) env.REALTIME_REDIS_URL = options.redisUrl;
  if (options.config !== undefined) {
    env.REALTIME_CONFIG = `${cwd}/config.json`;
    await Deno.writeTextFile(env.REALTIME_CONFIG, JSON.stringify(options.config));
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [...RUN_FLAGS, MAIN],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const unload = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  };
  globalThis.addEventListener("unload", unload);
  let errText = "";
  const drain = async (stream: ReadableStream<Uint8Array>, keep: boolean) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      if (keep && errText.length < MAX_KEPT_OUTPUT) {
        errText += decoder.decode(chunk, { stream: true });
      }
    }
  };
  // Both pipes are read to the end so the hub never blocks on a full pipe.
  const drained = Promise.all([drain(child.stdout, false), drain(child.stderr, true)]);
  const exited = child.status.then(async (status) => {
    await drained.catch(() => {});
    globalThis.removeEventListener("unload", unload);
    await Deno.remove(cwd, { recursive: true }).catch(() => {});
    return status;
  });
  let done = false;
  exited.then(() => done = true);
  const http = `http://127.0.0.1:${port}`;
  const signal = (name: Deno.Signal) => {
    try {
      if (!done) child.kill(name);
    } catch { /* already gone */ }
  };
  const hub: HubProcess = {
    index,
    port,
    pid: child.pid,
    url: `ws://127.0.0.1:${port}/ws`,
    http,
    exited,
    stderr: () => errText,
    async health() {
      const res = await fetch(`${http}/healthz`, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
    },
    async stop() {
      signal("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => (signal("SIGKILL"), resolve()), STOP_TIMEOUT_MS);
      });
      await Promise.race([exited, late]);
      clearTimeout(timer);
      return await exited;
    },
    kill() {
      signal("SIGKILL");
      return exited;
    },
    async [Symbol.asyncDispose]() {
      await hub.stop();
    },
  };
  if (options.waitReady === false) return hub;
  try {
    await untilReady(hub, () => done);
  } catch (error) {
    await hub.kill();
    throw error;
  }
  return hub;
}

/** Polls /healthz every 50 ms until 200, the process exits, or READY_TIMEOUT_MS passes. */
async function untilReady(hub: HubProcess, exitedNow: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (exitedNow()) {
      const status = await hub.exited;
      throw new Error(`Hub ${hub.index} exited with code ${status.code}: ${hub.stderr().trim()}`);
    }
    try {
      const { status, body } = await hub.health();
      if (status === 200) return;
      last = `${status} ${JSON.stringify(body)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Hub ${hub.index} not ready in ${READY_TIMEOUT_MS} ms (last: ${last})`);
}

export interface HubCluster extends AsyncDisposable {
  readonly hubs: readonly HubProcess[];
  /** Stops every hub still running. */
  stop(): Promise<void>;
}

/** Starts `count` hub processes sharing one Redis, in parallel, and waits until all are ready. */
export async function startHubCluster(
  count: number,
  options: HubProcessOptions & { readonly redisUrl: string },
): Promise<HubCluster> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => startHubProcess(options, i)),
  );
  const hubs = started.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
  const failed = started.find((s) => s.status === "rejected");
  const stop = async () => {
    await Promise.all(hubs.map((h) => h.stop()));
  };
  if (failed !== undefined) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  return { hubs, stop, [Symbol.asyncDispose]: stop };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
