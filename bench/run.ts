// deno-lint-ignore-file no-console
/**
 * `deno task bench [--quick] [--runs N] [--peers a,b] [--scenarios a,b] [--no-micro]`:
 * runs every scenario against every peer, each run with a fresh server
 * pinned to core 0 and the load generator (bench/node/load) pinned to core 1,
 * then the scale-out scenario (`scale_out` in `--scenarios`: hubs and
 * Socket.IO nodes on a private Redis, see bench/scale_out.ts), the cost of
 * publishing through a Sentinel set (`redis_ha`, bench/redis_ha_cost.ts), then the
 * `deno bench` micro-benchmarks, and writes the report to
 * `bench/results/latest.md` and the "Latest results" section of
 * `bench/README.md`.
 *
 * @module
 */

import { FULL, QUICK, type ScenarioSizes } from "./_config.ts";
import { mintTokensFile } from "./_tokens.ts";
import { BASELINE, type Peer, PEERS } from "./_peers.ts";
import { canPin, capture, sampleProc, startProcess } from "./_proc.ts";
import { sampleThreads, threadCpuBetween, type ThreadSample } from "./_thread_cpu.ts";
import {
  type Cell,
  type MicroResult,
  type Reference,
  renderReport,
  type Results,
} from "./_report.ts";
import type { LoadResult, MarkSample, Scenario } from "./scenarios/_scenario.ts";
import { connectRate } from "./scenarios/connect_rate.ts";
import { fanout, fanout100 } from "./scenarios/fanout.ts";
import { fireAndForget } from "./scenarios/fire_and_forget.ts";
import { latency } from "./scenarios/latency.ts";
import { manyTopics } from "./scenarios/many_topics.ts";
import { memory } from "./scenarios/memory.ts";
import { coldStart } from "./scenarios/cold_start.ts";
import { renderScaleOut, runScaleOut, SCALE_OUT_ID } from "./scale_out.ts";
import { runAppHandlers } from "./app/run_section.ts";

const SCENARIOS: readonly Scenario[] = [
  fanout,
  fanout100,
  manyTopics,
  fireAndForget,
  connectRate,
  coldStart,
  memory,
  latency,
];
const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BENCH = `${ROOT}/bench`;
const README_START = "<!-- bench:results:start -->";
const README_END = "<!-- bench:results:end -->";
/**
 * Where each run's server CPU by thread between its first two marks goes
 * (`bench/_thread_cpu.ts`), one JSON line per run; not written when unset.
 */
const THREAD_CPU_FILE = Deno.env.get("BENCH_THREAD_CPU");

interface RunSettings {
  readonly sizes: ScenarioSizes;
  readonly core: { server: number | undefined; load: number | undefined };
  readonly tokensFile: string;
  readonly logDir: string;
}

async function main(): Promise<void> {
  const args = parseFlags(Deno.args);
  const started = performance.now();
  const base = args.quick ? QUICK : FULL;
  const sizes: ScenarioSizes = args.runs === undefined
    ? base
    : { ...base, runs: Math.max(1, Number(args.runs)) };
  // The scale-out scenario starts its own servers and Redis: it is not run per peer.
  const wantedIds = args.scenarios?.split(",").map((s) => s.trim());
  const scaleOut = wantedIds === undefined || wantedIds.includes(SCALE_OUT_ID);
  const redisHa = wantedIds === undefined || wantedIds.includes(REDIS_HA_ID);
  const perPeer = wantedIds?.filter((id) => id !== SCALE_OUT_ID && id !== REDIS_HA_ID).join(",");
  const scenarios = perPeer === "" ? [] : pick(SCENARIOS, perPeer, (s) => s.id);
  const wanted = pick(PEERS, args.peers, (p) => p.id);

  await ensureNodeModules();
  if (wanted.some((p) => p.id === "nats")) await ensureNats();
  const pinned = await canPin();
  const peers: { peer: Peer; skipped?: string }[] = [];
  for (const peer of wanted) peers.push({ peer, skipped: await peer.unavailable() });
  if (!peers.some(({ peer, skipped }) => peer.id === BASELINE && skipped === undefined)) {
    console.error(`warning: the baseline '${BASELINE}' is not selected: ratios will be missing`);
  }

  const logDir = `${BENCH}/results/logs`;
  await Deno.mkdir(logDir, { recursive: true });
  const tokenCount = Math.max(...scenarios.map((s) => s.tokens(sizes)));
  console.error(`minting ${tokenCount} HS256 tokens...`);
  const tokensFile = await mintTokensFile(tokenCount, "bench-tokens-");
  const settings: RunSettings = {
    sizes,
    core: pinned ? { server: 0, load: 1 } : { server: undefined, load: undefined },
    tokensFile,
    logDir,
  };

  const results: Results = new Map();
  for (const scenario of scenarios) results.set(scenario.id, new Map());
  try {
    for (let run = 1; run <= sizes.runs; run++) {
      for (const scenario of scenarios) {
        for (const { peer, skipped } of peers) {
          if (skipped !== undefined) continue;
          if (peer.scenarios !== undefined && !peer.scenarios.includes(scenario.id)) continue;
          const cells = results.get(scenario.id)!;
          const cell: Cell = cells.get(peer.id) ?? { runs: [], failures: [] };
          cells.set(peer.id, cell);
          const label = `[run ${run}/${sizes.runs}] ${scenario.id} ${peer.id}`;
          try {
            const figures = await runOnce(scenario, peer, run, settings);
            cell.runs.push({ ...figures, run });
            console.error(`${label}: ${summarize(scenario, figures)}`);
          } catch (error) {
            const why = error instanceof Error ? error.message : String(error);
            cell.failures.push(why);
            console.error(`${label}: FAILED ${why.split("\n")[0]}`);
          }
        }
      }
    }
  } finally {
    await Deno.remove(tokensFile).catch(() => {});
  }

  const scaleOutSection = scaleOut
    ? renderScaleOut(await runScaleOut(args.quick), args.quick)
    : undefined;
  const redisHaSection = redisHa ? await runRedisHaCost(args.quick) : undefined;
  const micro = args.micro ? await runMicro(args.quick, settings.core.server) : "--no-micro";
  const signed = args.micro ? await runSignedFanout(args.quick, settings.core.server) : undefined;
  const app = args.micro ? await runAppHandlers(args.quick) : undefined;
  const descriptions = new Map(scenarios.map((s) => [s.id, s.describe(sizes)]));
  const reference = await readReference(`${BENCH}/results/reference.json`);
  const markdown = renderReport({
    machine: await machine(pinned),
    mode: args.quick ? "quick, 1 run" : `full, ${sizes.runs} runs`,
    scenarios,
    descriptions,
    peers,
    results,
    micro,
    seconds: (performance.now() - started) / 1000,
    reference,
  }) + (signed === undefined ? "" : `\n## Signed publications: fan-out\n\n${signed}\n`) +
    (app === undefined ? "" : `\n## The application's handlers and proxies\n\n${app}\n`);
  await writeReport(
    [markdown, scaleOutSection, redisHaSection].filter((part) => part !== undefined).join(
      "\n\n",
    ) + "\n",
    results,
  );
  console.log(await Deno.readTextFile(`${BENCH}/results/latest.md`));
}

interface Flags {
  quick: boolean;
  micro: boolean;
  runs?: string;
  peers?: string;
  scenarios?: string;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { quick: false, micro: true };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (name === "--quick") flags.quick = true;
    else if (name === "--no-micro") flags.micro = false;
    else if (name === "--runs") flags.runs = value();
    else if (name === "--peers") flags.peers = value();
    else if (name === "--scenarios") flags.scenarios = value();
    else {
      throw new TypeError(
        `Unknown argument '${
          argv[i]
        }': expected --quick, --runs N, --peers a,b, --scenarios a,b or --no-micro`,
      );
    }
  }
  return flags;
}

function pick<T>(all: readonly T[], list: string | undefined, id: (t: T) => string): T[] {
  if (list === undefined) return [...all];
  const names = list.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !all.some((t) => id(t) === n));
  if (unknown.length > 0) {
    throw new TypeError(`Unknown name '${unknown[0]}': expected one of ${all.map(id).join(", ")}`);
  }
  return all.filter((t) => names.includes(id(t)));
}

async function ensureNodeModules(): Promise<void> {
  try {
    await Deno.stat(`${BENCH}/node/node_modules/socket.io`);
    await Deno.stat(`${BENCH}/node/node_modules/ws`);
    await Deno.stat(`${BENCH}/node/node_modules/@socket.io/redis-adapter`);
  } catch {
    console.error("installing bench/node dependencies with npm ci...");
    const { success } = await new Deno.Command("npm", {
      args: ["ci", "--no-audit", "--no-fund", "--loglevel=error"],
      cwd: `${BENCH}/node`,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!success) throw new Error("npm ci failed in bench/node");
  }
}

/**
 * Installs Debian's `nats-server` when it is missing and this is a Debian
 * machine where we may (root, `apt-get` present), so the NATS peer runs
 * rather than being reported as skipped. Elsewhere it stays skipped, with
 * the command to run.
 */
async function ensureNats(): Promise<void> {
  if (await capture("nats-server", ["--version"]) !== undefined) return;
  if (Deno.uid() !== 0 || await capture("apt-get", ["--version"]) === undefined) return;
  console.error("installing nats-server with apt-get...");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args: string[]) =>
    new Deno.Command("apt-get", { args, env, stdout: "null", stderr: "inherit" }).output();
  // The package lists may be missing or stale on a fresh machine.
  if (!(await apt(["install", "-y", "-q", "nats-server"])).success) {
    await apt(["update", "-q"]);
    const { success } = await apt(["install", "-y", "-q", "nats-server"]);
    if (!success) console.error("warning: apt-get could not install nats-server");
  }
}

async function runOnce(
  scenario: Scenario,
  peer: Peer,
  run: number,
  settings: RunSettings,
): Promise<Record<string, number>> {
  const { sizes } = settings;
  const log = `${settings.logDir}/${scenario.id}-${peer.id}-${run}`;
  const timeoutMs = sizes.runTimeoutMs + (scenario.waitMs?.(sizes) ?? 0);
  const deadline = performance.now() + timeoutMs;
  const server = await peer.start({
    root: ROOT,
    core: settings.core.server,
    logFile: `${log}.server.log`,
  });
  const configFile = await Deno.makeTempFile({ prefix: "bench-load-", suffix: ".json" });
  try {
    await Deno.writeTextFile(
      configFile,
      JSON.stringify({
        protocol: peer.protocol,
        url: server.url,
        scenario: scenario.id,
        params: scenario.params(sizes),
        setupConcurrency: sizes.setupConcurrency,
        // The load generator gives up first, so it can still report what it saw.
        timeoutMs: timeoutMs - 5000,
        tokensFile: peer.protocol === "hub" || peer.protocol === "hub-v1" ||
            peer.protocol === "stomp" || peer.protocol === "sse"
          ? settings.tokensFile
          : undefined,
      }),
    );
    await using load = await startProcess("node", [
      // A larger young generation: fewer scavenges, so the client's own GC
      // pauses do not show up as server stalls.
      "--max-semi-space-size=64",
      // Extra flags for profiling the load generator, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
      ...(Deno.env.get("BENCH_LOAD_NODE_FLAGS") ?? "").split(" ").filter((f) => f !== ""),
      `${BENCH}/node/load/main.mjs`,
      configFile,
    ], {
      core: settings.core.load,
      stderrFile: `${log}.load.log`,
    });
    const marks = new Map<string, MarkSample>();
    const threads: ThreadSample[][] = [];
    let result: LoadResult | undefined;
    while (result === undefined) {
      const line = await load.nextLine(deadline - performance.now());
      if (line === undefined) {
        throw new Error(
          performance.now() >= deadline
            ? `Timed out after ${timeoutMs} ms`
            : `Load generator exited early (see ${log}.load.log)`,
        );
      }
      if (line.startsWith("MARK ")) {
        marks.set(line.slice(5), { server: sampleProc(server.pid), load: sampleProc(load.pid) });
        if (THREAD_CPU_FILE !== undefined) threads.push(sampleThreads(server.pid));
        await load.writeLine("ok");
      } else if (line.startsWith("RESULT ")) {
        result = JSON.parse(line.slice(7)) as LoadResult;
      }
    }
    if (typeof result.failed === "string") throw new Error(result.failed);
    if (Number(result.errorFrames) > 0) {
      throw new Error(`${result.errorFrames} error replies (see ${log}.server.log)`);
    }
    if (THREAD_CPU_FILE !== undefined && threads.length >= 2) {
      const line = {
        scenario: scenario.id,
        peer: peer.id,
        run,
        marks: [...marks.keys()].slice(0, 2),
        deliveries: result.deliveries,
        threads: threadCpuBetween(server.pid, threads[0], threads[1]),
      };
      await Deno.writeTextFile(THREAD_CPU_FILE, JSON.stringify(line) + "\n", { append: true });
    }
    return scenario.figures(result, marks);
  } finally {
    await server.stop();
    await Deno.remove(configFile).catch(() => {});
  }
}

function summarize(scenario: Scenario, figures: Record<string, number>): string {
  return scenario.metrics.map((m) => `${m.label} ${figures[m.key]?.toFixed(m.digits)}`).join(
    ", ",
  );
}

async function runMicro(quick: boolean, core: number | undefined): Promise<MicroResult[] | string> {
  console.error("running deno bench micro-benchmarks...");
  const files = [
    "acl_bench.ts",
    "frame_bench.ts",
    "jwt_bench.ts",
    "patterns_bench.ts",
    "accounts_bench.ts",
    "signing_bench.ts",
    "handler_calls_bench.ts",
  ].map((f) => `bench/${f}`);
  // The patterns benchmark serves real hubs, on loopback only.
  const denoArgs = ["bench", "--json", "--allow-env", "--allow-net=127.0.0.1", ...files];
  const pin = core === undefined ? [] : ["taskset", "-c", String(core)];
  const [program, ...rest] = [...pin, Deno.execPath(), ...denoArgs];
  const output = await new Deno.Command(program, {
    args: rest,
    cwd: ROOT,
    env: quick ? { BENCH_QUICK: "1" } : {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    return `deno bench failed: ${new TextDecoder().decode(output.stderr).slice(0, 500)}`;
  }
  const json = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    benches: {
      group: string | null;
      name: string;
      results: { ok?: { avg: number; p99: number } }[];
    }[];
  };
  return json.benches.flatMap((b) =>
    b.results[0]?.ok === undefined ? [] : [{
      group: b.group ?? "",
      name: b.name,
      avgNs: b.results[0].ok.avg,
      p99Ns: b.results[0].ok.p99,
    }]
  );
}

/** The name `--scenarios` knows the Redis high-availability cost by. */
const REDIS_HA_ID = "redis_ha";

/**
 * What publishing through a Redis Sentinel set costs (bench/redis_ha_cost.ts,
 * on a private master, replica and three Sentinels): its Markdown section,
 * or why it failed.
 */
async function runRedisHaCost(quick: boolean): Promise<string> {
  console.error("running the Redis high-availability cost benchmark...");
  const publications = quick ? 2000 : 10_000;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "bench/redis_ha_cost.ts", String(publications)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const body = output.success
    ? new TextDecoder().decode(output.stdout).trim()
    : `Failed: ${new TextDecoder().decode(output.stderr).slice(0, 500)}`;
  return [
    "### Redis high availability: cost per publication",
    "",
    `History topics, ${publications} publications with 200 in flight then 500 one at a time, on a ` +
    "private Sentinel set (a master, a replica, three Sentinels): the master's own URL (`plain`), " +
    "through the Sentinels without (`timeline`) and with one replica acknowledgement " +
    "(`timeline+WAIT`, the default). Medians of three interleaved rounds; master CPU from " +
    "`INFO cpu`.",
    "",
    body,
  ].join("\n");
}

/**
 * Fan-out of signed against unsigned publications on one real hub, in the
 * same run (bench/signed_fanout.ts): its markdown table, or why it failed.
 */
async function runSignedFanout(quick: boolean, core: number | undefined): Promise<string> {
  console.error("running the signed fan-out benchmark...");
  const pin = core === undefined ? [] : ["taskset", "-c", String(core)];
  const args = ["run", "--allow-env", "--allow-net=127.0.0.1", "bench/signed_fanout.ts"];
  const [program, ...rest] = [...pin, Deno.execPath(), ...args];
  const output = await new Deno.Command(program, {
    args: rest,
    cwd: ROOT,
    env: quick ? { BENCH_QUICK: "1" } : {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  return output.success
    ? new TextDecoder().decode(output.stdout).trim()
    : `signed fan-out failed: ${new TextDecoder().decode(output.stderr).slice(0, 500)}`;
}

async function machine(pinned: boolean): Promise<[string, string][]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const mhz = /^cpu MHz\s*:\s*(.+)$/m.exec(cpuinfo)?.[1];
  const memTotal = /^MemTotal:\s+(\d+) kB/m.exec(await Deno.readTextFile("/proc/meminfo"))?.[1];
  const sioVersion = await Deno.readTextFile(`${BENCH}/node/node_modules/socket.io/package.json`)
    .then((t) => JSON.parse(t).version as string).catch(() => "?");
  const wsVersion = await Deno.readTextFile(`${BENCH}/node/node_modules/ws/package.json`)
    .then((t) => JSON.parse(t).version as string).catch(() => "?");
  const head = await capture("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]);
  const dirty = await capture("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "mod.ts"]);
  return [
    ["CPU", `${model}${mhz === undefined ? "" : ` (${Number(mhz).toFixed(0)} MHz)`}`],
    ["cores (nproc)", (await capture("nproc", [])) ?? "?"],
    ["memory", memTotal === undefined ? "?" : `${(Number(memTotal) / 1048576).toFixed(1)} GiB`],
    ["kernel", (await capture("uname", ["-sr"])) ?? "?"],
    ["deno", `${Deno.version.deno} (V8 ${Deno.version.v8})`],
    ["node", (await capture("node", ["--version"])) ?? "?"],
    ["npm ws / socket.io", `${wsVersion} / ${sioVersion}`],
    ["nats-server", (await capture("nats-server", ["--version"])) ?? "not installed"],
    ["pinning", pinned ? "taskset: server core 0, load generator core 1" : "none (no taskset)"],
    [
      "open files (soft/hard)",
      `${await capture("sh", ["-c", "ulimit -Sn; ulimit -Hn"]).then((s) => s?.replace("\n", "/"))}`,
    ],
    ["hub source", `${head ?? "?"}${dirty ? " + uncommitted changes in src/" : ""}`],
    ["date", new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC"],
  ];
}

/**
 * The run the report compares against (`bench/results/reference.json`: a
 * `label` and the `results` of an earlier `latest.json`), if there is one.
 */
async function readReference(path: string): Promise<Reference | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
  const { label, results } = JSON.parse(text) as {
    label: string;
    results: Record<string, Record<string, Cell>>;
  };
  return {
    label,
    results: new Map(
      Object.entries(results).map((
        [scenario, cells],
      ) => [scenario, new Map(Object.entries(cells))]),
    ),
  };
}

async function writeReport(markdown: string, results: Results): Promise<void> {
  const latest = `${BENCH}/results/latest.md`;
  await Deno.writeTextFile(latest, `# @realtime/hub benchmark results\n\n${markdown}`);
  await Deno.writeTextFile(
    `${BENCH}/results/latest.json`,
    JSON.stringify(
      Object.fromEntries([...results].map(([s, cells]) => [s, Object.fromEntries(cells)])),
      null,
      2,
    ) + "\n",
  );
  const readmePath = `${BENCH}/README.md`;
  const readme = await Deno.readTextFile(readmePath).catch(() => "");
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start >= 0 && end > start) {
    await Deno.writeTextFile(
      readmePath,
      readme.slice(0, start + README_START.length) + "\n\n" + markdown + "\n" + readme.slice(end),
    );
  }
  // Aligns the generated tables so `deno fmt --check` stays clean.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", latest, `${BENCH}/results/latest.json`, readmePath],
    cwd: ROOT,
  }).output();
}

if (import.meta.main) await main();
