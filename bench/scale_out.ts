// deno-lint-ignore-file no-console
/**
 * The scale-out scenario: `deno run --allow-all bench/scale_out.ts [--quick]`
 * (also run by `deno task bench`, after the per-peer scenarios). Four
 * set-ups, each fresh, in one run:
 *
 * - `hub-memory`: one hub process (`src/server/main.ts`) on the in-memory engine;
 * - `hub-redis-1`: one hub on a private `redis-server`;
 * - `hub-redis-2`: two hubs on that Redis;
 * - `socketio-redis-2`: two Socket.IO nodes with `@socket.io/redis-adapter`.
 *
 * The load generator (bench/node/load/scale_out.mjs) spreads the subscribers
 * of one topic over the servers and runs two windowed publishers (one per
 * server). Every hub keeps the topic's history. Reported: deliveries/s, latency p50/p99, lost/duplicated/reordered,
 * server CPU, Redis CPU per publication, and the three targets.
 * Nothing is pinned: several servers share the machine's cores.
 *
 * @module
 */

import { BENCH_LIMITS, BENCH_RULES, BENCH_SECRET } from "./_config.ts";
import { mintTokensFile } from "./_tokens.ts";
import { type Child, freePort, sampleProc, startProcess, waitForLine } from "./_proc.ts";
import { startRedisServer } from "../tests/_support/redis_server.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BENCH = `${ROOT}/bench`;
const READY_TIMEOUT_MS = 20_000;
/** The name `--scenarios` of `deno task bench` knows this scenario by. */
export const SCALE_OUT_ID = "scale_out";

/** The sizes of one set-up's run. */
export interface ScaleOutSizes {
  readonly subscribers: number;
  readonly publishers: number;
  readonly messages: number;
  readonly window: number;
  readonly timeoutMs: number;
}

/** Full and `--quick` sizes; every run is bounded by `timeoutMs`. */
export const SCALE_OUT_SIZES: { full: ScaleOutSizes; quick: ScaleOutSizes } = {
  full: { subscribers: 1000, publishers: 2, messages: 2000, window: 16, timeoutMs: 90_000 },
  quick: { subscribers: 200, publishers: 2, messages: 300, window: 16, timeoutMs: 45_000 },
};

/** History of the benchmark topic, on every hub set-up. */
const SCALE_OUT_HISTORY = [{ pattern: "bench:*", size: 1000, ttlMs: 60_000 }];

interface Setup {
  readonly id: string;
  readonly label: string;
  readonly servers: number;
  readonly kind: "hub" | "sio";
  readonly redis: boolean;
}

const SETUPS: readonly Setup[] = [
  { id: "hub-memory", label: "one hub, in-memory engine", servers: 1, kind: "hub", redis: false },
  { id: "hub-redis-1", label: "one hub on Redis", servers: 1, kind: "hub", redis: true },
  { id: "hub-redis-2", label: "two hubs on one Redis", servers: 2, kind: "hub", redis: true },
  {
    id: "socketio-redis-2",
    label: "two Socket.IO 4 nodes, @socket.io/redis-adapter",
    servers: 2,
    kind: "sio",
    redis: true,
  },
];

/** What one set-up measured. */
export interface ScaleOutResult {
  readonly id: string;
  readonly label: string;
  readonly failed?: string;
  readonly perSecond?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly lost?: number;
  readonly duplicates?: number;
  readonly reordered?: number;
  readonly serverCpuUsPerDelivery?: number;
  readonly redisCpuUsPerPublication?: number;
}

interface Server {
  readonly child: Child;
  readonly url: string;
}

async function startHub(redisUrl: string | undefined, dir: string, i: number): Promise<Server> {
  const port = freePort();
  const config = `${dir}/hub-${i}.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      port,
      hostname: "127.0.0.1",
      transport: "deno",
      env: "production",
      metrics: "off",
      auth: { secret: BENCH_SECRET, algorithms: ["HS256"] },
      acl: { rules: BENCH_RULES },
      limits: BENCH_LIMITS,
      // Every hub set-up keeps history of the topic, as a deployment that recovers would:
      // on Redis each publication is then the Lua script (offset, stream, PUBLISH).
      history: SCALE_OUT_HISTORY,
      ...(redisUrl === undefined ? {} : { engine: { redis: { urls: [redisUrl] } } }),
    }),
  );
  const child = await startProcess(
    Deno.execPath(),
    ["run", "--allow-net", "--allow-env", "--allow-read", `${ROOT}/src/server/main.ts`],
    { cwd: dir, env: { REALTIME_CONFIG: config }, stderrFile: `${dir}/hub-${i}.log` },
  );
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      async (r) => (await r.body?.cancel(), r.status),
      () => 0,
    );
    if (status === 200) return { child, url: `ws://127.0.0.1:${port}/ws` };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await child.stop();
  throw new Error(`Hub ${i} not healthy in ${READY_TIMEOUT_MS} ms (see ${dir}/hub-${i}.log)`);
}

async function startSocketIo(redisUrl: string, dir: string, i: number): Promise<Server> {
  const child = await startProcess("node", ["socketio_server.mjs"], {
    cwd: `${BENCH}/node`,
    env: { REDIS_URL: redisUrl },
    stderrFile: `${dir}/socketio-${i}.log`,
  });
  const port = await waitForLine(child, "READY ", READY_TIMEOUT_MS);
  if (port === undefined) {
    await child.stop();
    throw new Error(`Socket.IO node ${i} did not print READY (see ${dir}/socketio-${i}.log)`);
  }
  return { child, url: `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket` };
}

async function runSetup(
  setup: Setup,
  sizes: ScaleOutSizes,
  tokensFile: string,
  dir: string,
): Promise<ScaleOutResult> {
  await using redis = setup.redis ? await startRedisServer() : undefined;
  const servers: Server[] = [];
  const configFile = `${dir}/${setup.id}.load.json`;
  try {
    for (let i = 0; i < setup.servers; i++) {
      servers.push(
        setup.kind === "hub"
          ? await startHub(redis?.url, dir, i)
          : await startSocketIo(redis!.url, dir, i),
      );
    }
    await Deno.writeTextFile(
      configFile,
      JSON.stringify({
        protocol: setup.kind,
        urls: servers.map((s) => s.url),
        scenario: "scale_out",
        params: sizes,
        setupConcurrency: 50,
        timeoutMs: sizes.timeoutMs - 5000,
        tokensFile: setup.kind === "hub" ? tokensFile : undefined,
      }),
    );
    await using load = await startProcess("node", [`${BENCH}/node/load/main.mjs`, configFile], {
      stderrFile: `${dir}/${setup.id}.load.log`,
    });
    const deadline = performance.now() + sizes.timeoutMs;
    const marks = new Map<string, { servers: number; redis: number }>();
    const cpu = async () => ({
      servers: servers.reduce((sum, s) => sum + sampleProc(s.child.pid).cpuUs, 0),
      redis: redis === undefined ? 0 : await redisCpuUs(redis.cli),
    });
    for (;;) {
      const line = await load.nextLine(deadline - performance.now());
      if (line === undefined) {
        return { id: setup.id, label: setup.label, failed: "timed out or load generator exited" };
      }
      if (line.startsWith("MARK ")) {
        marks.set(line.slice(5), await cpu());
        await load.writeLine("ok");
        continue;
      }
      if (!line.startsWith("RESULT ")) continue;
      const r = JSON.parse(line.slice(7));
      const start = marks.get("start");
      const end = marks.get("end");
      const publications = sizes.publishers * sizes.messages;
      return {
        id: setup.id,
        label: setup.label,
        failed: typeof r.failed === "string"
          ? r.failed
          : r.errorFrames > 0
          ? `${r.errorFrames} error replies`
          : undefined,
        perSecond: r.perSecond,
        p50Ms: r.p50,
        p99Ms: r.p99,
        lost: r.lost,
        duplicates: r.duplicates,
        reordered: r.reordered,
        serverCpuUsPerDelivery: start && end
          ? (end.servers - start.servers) / Math.max(1, r.deliveries)
          : undefined,
        redisCpuUsPerPublication: start && end && redis !== undefined
          ? (end.redis - start.redis) / publications
          : undefined,
      };
    }
  } finally {
    await Promise.all(servers.map((s) => s.child.stop()));
    await Deno.remove(configFile).catch(() => {});
  }
}

/**
 * Redis's own CPU time (`INFO cpu`: getrusage, microsecond resolution),
 * finer than /proc's 10 ms ticks at a few thousand publications.
 */
async function redisCpuUs(cli: (...args: string[]) => Promise<string>): Promise<number> {
  const info = await cli("INFO", "cpu");
  const field = (name: string) =>
    Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1e6;
}

/**
 * Runs the four set-ups one after the other.
 *
 * @param quick Use the small sizes.
 * @param only The set-ups to run (ids); all when absent.
 * @returns One result per set-up.
 */
export async function runScaleOut(
  quick: boolean,
  only?: readonly string[],
): Promise<ScaleOutResult[]> {
  const unknown = (only ?? []).filter((id) => !SETUPS.some((s) => s.id === id));
  if (unknown.length > 0) {
    throw new TypeError(
      `Unknown set-up '${unknown[0]}': expected one of ${SETUPS.map((s) => s.id).join(", ")}`,
    );
  }
  const sizes = quick ? SCALE_OUT_SIZES.quick : SCALE_OUT_SIZES.full;
  const dir = await Deno.makeTempDir({ prefix: "bench-scale-out-" });
  const tokensFile = await mintTokensFile(
    sizes.subscribers + sizes.publishers,
    "bench-scale-tokens-",
  );
  const results: ScaleOutResult[] = [];
  try {
    for (const setup of SETUPS.filter((s) => only === undefined || only.includes(s.id))) {
      let result: ScaleOutResult;
      try {
        result = await runSetup(setup, sizes, tokensFile, dir);
      } catch (error) {
        result = { id: setup.id, label: setup.label, failed: (error as Error).message };
      }
      console.error(`scale-out ${setup.id}: ${JSON.stringify(result)}`);
      results.push(result);
    }
  } finally {
    await Deno.remove(tokensFile).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return results;
}

/**
 * The scale-out results as a Markdown section, with the targets.
 *
 * @param results From {@linkcode runScaleOut}.
 * @param quick Whether the small sizes ran.
 * @returns Markdown.
 */
export function renderScaleOut(results: readonly ScaleOutResult[], quick: boolean): string {
  const sizes = quick ? SCALE_OUT_SIZES.quick : SCALE_OUT_SIZES.full;
  const f = (n: number | undefined, digits: number) => n === undefined ? "-" : n.toFixed(digits);
  const rows = results.map((r) =>
    `| ${r.id} | ${f(r.perSecond, 0)} | ${f(r.p50Ms, 1)} | ${f(r.p99Ms, 1)} | ${
      f((r.lost ?? 0) + (r.duplicates ?? 0) + (r.reordered ?? 0), 0)
    } | ${f(r.serverCpuUsPerDelivery, 2)} | ${f(r.redisCpuUsPerPublication, 1)} | ${
      r.failed ?? "ok"
    } |`
  );
  const by = (id: string) => results.find((r) => r.id === id && r.failed === undefined);
  const ratio = (a?: number, b?: number) =>
    a === undefined || b === undefined || b === 0 ? undefined : a / b;
  const targets: [string, number | undefined, number, "min" | "max"][] = [
    [
      "two Redis hubs / one Redis hub, deliveries/s",
      ratio(by("hub-redis-2")?.perSecond, by("hub-redis-1")?.perSecond),
      1.6,
      "min",
    ],
    [
      "Redis hub p99 / in-memory hub p99",
      ratio(by("hub-redis-1")?.p99Ms, by("hub-memory")?.p99Ms),
      2,
      "max",
    ],
    [
      "two Redis hubs / two Socket.IO nodes, deliveries/s",
      ratio(by("hub-redis-2")?.perSecond, by("socketio-redis-2")?.perSecond),
      3,
      "min",
    ],
  ];
  const targetRows = targets.map(([name, value, bound, kind]) =>
    `| ${name} | ${f(value, 2)} | ${kind === "min" ? "≥" : "≤"} ${bound} | ${
      value === undefined
        ? "not measured"
        : (kind === "min" ? value >= bound : value <= bound)
        ? "met"
        : "missed"
    } |`
  );
  return [
    "### Scale-out",
    "",
    `${sizes.subscribers} subscribers of one topic spread over the servers; ${sizes.publishers} ` +
    `publishers (one per server) each send ${sizes.messages} ~100-byte messages, at most ` +
    `${sizes.window} unacknowledged. Unpinned. Errors = lost + duplicated + reordered.`,
    "",
    "| set-up | deliveries/s | p50 ms | p99 ms | errors | server CPU µs/delivery | Redis CPU µs/publication | status |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "| target | measured | wanted | |",
    "| --- | --- | --- | --- |",
    ...targetRows,
  ].join("\n");
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const only = Deno.args.find((a) => a.startsWith("--setups="))?.slice(9).split(",");
  console.log(renderScaleOut(await runScaleOut(quick, only), quick));
}
