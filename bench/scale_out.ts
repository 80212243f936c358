// deno-lint-ignore-file no-console
/**
 * The scale-out scenario: `deno run --allow-all bench/scale_out.ts [--quick]`
 * (also run by `deno task bench`, after the per-peer scenarios). Four
 * set-ups, each fresh, in one run:
 *
 * - `hub-memory`: one hub process (`src/server/main.ts`) on the in-memory engine;
 * - `hub-redis-1`: one hub on a private `redis-server`;
 * - `hub-redis-2`: two hubs on that Redis;
 * - `socketio-redis-2`: two Socket.IO nodes with `@socket.io/redis-adapter`;
 * - `hub-redis-1-pinned`: one hub on Redis pinned to core 0, Redis and the
 *   load generator pinned to core 1 (the rest of a two-core machine);
 * - `hub-redis-2-pinned`: two hubs on Redis pinned to cores 0 and 1, Redis
 *   and the load generator unpinned (no core is left: they share both).
 *
 * Two hubs cannot show 2x on two cores shared with Redis and the load
 * (issue 26): what predicts scaling is each hub's CPU per delivery (its CPU
 * over the deliveries it wrote), Redis's CPU per publication, and the two
 * pinned set-ups side by side. `renderScaleOut` turns the per-unit costs
 * into the capacity model of docs/scaling.md.
 *
 * The load generator (bench/node/load/scale_out.mjs) spreads the subscribers
 * of one topic over the servers and runs two windowed publishers (one per
 * server). Every hub keeps the topic's history. Reported: deliveries/s, latency p50/p99, lost/duplicated/reordered,
 * server CPU, Redis CPU per publication, and the three targets.
 * The first four set-ups are not pinned: several servers share the machine's cores.
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
  /** A quiet spell before publishing, to measure what Redis spends with no publication. */
  readonly idleMs: number;
  readonly subscribers: number;
  readonly publishers: number;
  readonly messages: number;
  readonly window: number;
  readonly timeoutMs: number;
}

/** Full and `--quick` sizes; every run is bounded by `timeoutMs`. */
export const SCALE_OUT_SIZES: { full: ScaleOutSizes; quick: ScaleOutSizes } = {
  full: {
    idleMs: 2000,
    subscribers: 1000,
    publishers: 2,
    messages: 2000,
    window: 16,
    timeoutMs: 90_000,
  },
  quick: {
    idleMs: 1000,
    subscribers: 200,
    publishers: 2,
    messages: 300,
    window: 16,
    timeoutMs: 45_000,
  },
};

/** History of the benchmark topic, on every hub set-up. */
const SCALE_OUT_HISTORY = [{ pattern: "bench:*", size: 1000, ttlMs: 60_000 }];

interface Setup {
  readonly id: string;
  readonly label: string;
  readonly servers: number;
  readonly kind: "hub" | "sio";
  readonly redis: boolean;
  /**
   * Cores: server i on `servers[i]`, Redis and the load generator on `rest`
   * (unpinned when absent).
   */
  readonly cores?: { readonly servers: readonly number[]; readonly rest?: number };
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
  {
    id: "hub-redis-1-pinned",
    label: "one hub on Redis, on core 0; Redis and the load generator on core 1",
    servers: 1,
    kind: "hub",
    redis: true,
    cores: { servers: [0], rest: 1 },
  },
  {
    id: "hub-redis-2-pinned",
    label: "two hubs on Redis, on cores 0 and 1; Redis and the load generator unpinned",
    servers: 2,
    kind: "hub",
    redis: true,
    cores: { servers: [0, 1] },
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
  /** Each server's CPU over the deliveries it wrote (its subscribers times the publications). */
  readonly perServerCpuUsPerDelivery?: readonly number[];
  /** Each server's CPU between the marks, % of one core. */
  readonly perServerCpuPct?: readonly number[];
  /** Redis's CPU between the marks, % of one core. */
  readonly redisCpuPct?: number;
  /** The load generator's CPU between the marks, % of one core. */
  readonly loadCpuPct?: number;
  /** Publications per second (all publishers). */
  readonly publicationsPerSecond?: number;
  /** Subscribers, all servers together. */
  readonly subscribers?: number;
}

interface Server {
  readonly child: Child;
  readonly url: string;
}

async function startHub(
  redisUrl: string | undefined,
  dir: string,
  i: number,
  core?: number,
): Promise<Server> {
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
    { cwd: dir, env: { REALTIME_CONFIG: config }, stderrFile: `${dir}/hub-${i}.log`, core },
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
          ? await startHub(redis?.url, dir, i, setup.cores?.servers[i])
          : await startSocketIo(redis!.url, dir, i),
      );
    }
    const rest = setup.cores?.rest;
    if (redis !== undefined && rest !== undefined) await pin(redis.pid, rest);
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
      core: rest,
    });
    const deadline = performance.now() + sizes.timeoutMs;
    const marks = new Map<string, { servers: number[]; redis: number; load: number; at: number }>();
    const cpu = async () => ({
      servers: servers.map((s) => sampleProc(s.child.pid).cpuUs),
      load: sampleProc(load.pid).cpuUs,
      redis: redis === undefined ? 0 : await redisCpuUs(redis.cli),
      at: performance.now(),
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
      const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
      // Subscriber i is on server i mod n: each writes its subscribers' share of every publication.
      const subscribersOn = (k: number) => Math.ceil((sizes.subscribers - k) / servers.length);
      const wallUs = start && end ? (end.at - start.at) * 1000 : undefined;
      // Redis's CPU per ms while nothing was published (timers, probes, presence refresh).
      const idleStart = marks.get("idle-start");
      const idleEnd = marks.get("idle-end");
      const idleRedis = idleStart && idleEnd && idleEnd.at > idleStart.at
        ? (idleEnd.redis - idleStart.redis) / (idleEnd.at - idleStart.at)
        : 0;
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
          ? (sum(end.servers) - sum(start.servers)) / Math.max(1, r.deliveries)
          : undefined,
        redisCpuUsPerPublication: start && end && redis !== undefined
          ? (end.redis - start.redis - idleRedis * (end.at - start.at)) / publications
          : undefined,
        perServerCpuUsPerDelivery: start && end
          ? servers.map((_, k) =>
            (end.servers[k] - start.servers[k]) / Math.max(1, subscribersOn(k) * publications)
          )
          : undefined,
        perServerCpuPct: start && end && wallUs
          ? servers.map((_, k) => (end.servers[k] - start.servers[k]) / wallUs * 100)
          : undefined,
        redisCpuPct: start && end && wallUs && redis !== undefined
          ? (end.redis - start.redis) / wallUs * 100
          : undefined,
        loadCpuPct: start && end && wallUs ? (end.load - start.load) / wallUs * 100 : undefined,
        publicationsPerSecond: r.elapsedMs > 0 ? publications / (r.elapsedMs / 1000) : undefined,
        subscribers: sizes.subscribers,
      };
    }
  } finally {
    await Promise.all(servers.map((s) => s.child.stop()));
    await Deno.remove(configFile).catch(() => {});
  }
}

/** Pins a running process (and its threads) to one core with `taskset -a -p`. */
async function pin(pid: number, core: number): Promise<void> {
  const { success } = await new Deno.Command("taskset", {
    args: ["-a", "-c", "-p", String(core), String(pid)],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!success) throw new Error(`Cannot pin process ${pid} to core ${core}`);
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
  const list = (values: readonly number[] | undefined, digits: number) =>
    values === undefined ? "-" : values.map((v) => v.toFixed(digits)).join(" / ");
  const unitRows = results.filter((r) => r.failed === undefined).map((r) =>
    `| ${r.id} | ${list(r.perServerCpuUsPerDelivery, 2)} | ${list(r.perServerCpuPct, 0)} | ${
      f(r.redisCpuUsPerPublication, 1)
    } | ${f(r.redisCpuPct, 0)} | ${f(r.loadCpuPct, 0)} | ${f(r.publicationsPerSecond, 0)} |`
  );
  return [
    "### Scale-out",
    "",
    `${sizes.subscribers} subscribers of one topic spread over the servers; ${sizes.publishers} ` +
    `publishers (one per server) each send ${sizes.messages} ~100-byte messages, at most ` +
    `${sizes.window} unacknowledged. The first four set-ups are unpinned; \`-pinned\`: each hub ` +
    `on its own core (taskset), with Redis and the load generator on core 1 beside one hub, and ` +
    `unpinned (sharing both cores with the hubs) beside two, as a two-core machine leaves no ` +
    `other core. Errors = lost + duplicated + reordered.`,
    "",
    "| set-up | deliveries/s | p50 ms | p99 ms | errors | server CPU µs/delivery | Redis CPU µs/publication | status |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "| target | measured | wanted | |",
    "| --- | --- | --- | --- |",
    ...targetRows,
    "",
    "Per-unit costs: each server's CPU over the deliveries it wrote (its subscribers times " +
    "every publication), each server's CPU % of one core, Redis's and the load generator's " +
    "(one Node process reading every delivery: near 100 %, it bounds the rate). Redis CPU per " +
    `publication, in both tables, is net of what Redis spent per ms in a quiet ${sizes.idleMs} ms ` +
    "before publishing (timers, the hubs' probes, presence refresh): at a few hundred " +
    "publications/s that would otherwise double it.",
    "",
    "| set-up | CPU µs/delivery, per server | CPU %, per server | Redis CPU µs/publication | Redis CPU % | load CPU % | publications/s |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...unitRows,
    "",
    ...capacityModel(results, sizes),
  ].join("\n");
}

/**
 * What the per-unit costs predict (the capacity model of docs/scaling.md),
 * next to what the pinned set-ups measured.
 */
function capacityModel(results: readonly ScaleOutResult[], sizes: ScaleOutSizes): string[] {
  const one = results.find((r) => r.id === "hub-redis-1-pinned" && r.failed === undefined);
  const two = results.find((r) => r.id === "hub-redis-2-pinned" && r.failed === undefined);
  const hubUs = one?.perServerCpuUsPerDelivery?.[0];
  const redisUs = one?.redisCpuUsPerPublication;
  if (one === undefined || hubUs === undefined || redisUs === undefined) {
    return ["Capacity model: not computed (the pinned one-hub set-up did not run)."];
  }
  const perCore = 1e6 / hubUs;
  const redisPublications = 1e6 / redisUs;
  const predict = (hubs: number) => Math.min(hubs * perCore, redisPublications * sizes.subscribers);
  const rows = [
    `| one hub saturating its core | ${predict(1).toFixed(0)} | ${
      one.perSecond?.toFixed(0) ?? "-"
    } | ${list1(one.perServerCpuPct)} |`,
    `| two hubs, each saturating its core | ${predict(2).toFixed(0)} | ${
      two?.perSecond?.toFixed(0) ?? "-"
    } | ${list1(two?.perServerCpuPct)} |`,
  ];
  const ratio = two?.perSecond !== undefined && one.perSecond !== undefined
    ? (two.perSecond / one.perSecond).toFixed(2)
    : "-";
  return [
    `Capacity model from the pinned one-hub costs: a hub core writes 1e6 / ${
      hubUs.toFixed(2)
    } µs = ${perCore.toFixed(0)} deliveries/s; Redis (one thread) takes 1e6 / ${
      redisUs.toFixed(1)
    } µs = ${redisPublications.toFixed(0)} publications/s, ${
      (redisPublications * sizes.subscribers).toFixed(0)
    } deliveries/s at ${sizes.subscribers} subscribers per publication. Deliveries/s of N hubs = ` +
    `min(N × per-core, Redis × subscribers). Measured two pinned hubs / one: ${ratio} ` +
    `(CPU % below 100 on a hub core: the hub waited for the load generator or Redis; the ` +
    `measured rate is the load generator's while it is near 100 %).`,
    "",
    "| hubs | predicted deliveries/s | measured (pinned) | hub CPU % |",
    "| --- | --- | --- | --- |",
    ...rows,
  ];
}

function list1(values: readonly number[] | undefined): string {
  return values === undefined ? "-" : values.map((v) => v.toFixed(0)).join(" / ");
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const only = Deno.args.find((a) => a.startsWith("--setups="))?.slice(9).split(",");
  console.log(renderScaleOut(await runScaleOut(quick, only), quick));
}
