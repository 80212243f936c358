// deno-lint-ignore-file no-console
/**
 * What the application's say costs: publish-to-delivery (p50, p99, one
 * publication in flight) and throughput (100 publishers, each with up to 16
 * publications in flight on its own topic) with no handler, with an
 * in-process publish handler, and with the HTTP publish proxy to a tiny Deno
 * backend in its own process; and the connect rate through the connect
 * proxy (a cookie, no JWT) against JWT verification. The hub, the backend
 * and the load generator (bench/app/) are three processes; with `taskset`
 * the hub and the backend share core 0 and the load has core 1. Prints a
 * Markdown section; bounded: every wait in the load generator times out.
 *
 * Run: `deno run -A bench/app_handlers.ts` (`BENCH_QUICK=1` for a shorter run).
 *
 * @module
 */

import { canPin, type Child, sampleProc, startProcess } from "./_proc.ts";

const QUICK = Deno.env.get("BENCH_QUICK") === "1";
const LATENCY_COUNT = QUICK ? 500 : 3000;
const PUBLISHERS = 100;
const EACH = QUICK ? 50 : 200;
const CONNECTS = QUICK ? 300 : 1500;
const READY_MS = 20_000;
const LOAD_MS = 120_000;
const APP = new URL("./app/", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

const pinned = await canPin();
const core = (n: number) => pinned ? n : undefined;

async function started(args: string[], n: number): Promise<[Child, string]> {
  const child = await startProcess(Deno.execPath(), ["run", "-A", ...args], {
    core: core(n),
    cwd: ROOT,
  });
  const line = await child.nextLine(READY_MS);
  if (line?.startsWith("READY ") !== true) {
    await child.stop();
    throw new Error(`${args.join(" ")} did not start: ${line}`);
  }
  return [child, line.slice(6)];
}

async function load(url: string, args: string[]): Promise<Record<string, number>> {
  await using child = await startProcess(
    Deno.execPath(),
    ["run", "-A", `${APP}load.ts`, args[0], url, ...args.slice(1)],
    { core: core(1), cwd: ROOT },
  );
  const line = await child.nextLine(LOAD_MS);
  if (line === undefined) throw new Error(`load ${args.join(" ")} gave no result`);
  const result = JSON.parse(line);
  if (typeof result.error === "string") throw new Error(`load ${args.join(" ")}: ${result.error}`);
  return result;
}

async function withHub<T>(
  mode: string[],
  fn: (url: string, hub: Child) => Promise<T>,
): Promise<T> {
  const [hub, port] = await started([`${APP}hub.ts`, ...mode], 0);
  try {
    return await fn(`ws://127.0.0.1:${port}/ws`, hub);
  } finally {
    await hub.stop();
  }
}

const [backend, backendPort] = await started([`${APP}backend.ts`], 0);
const backendUrl = `http://127.0.0.1:${backendPort}`;
const rows: string[] = [];
const connectRows: string[] = [];
try {
  for (
    const [label, mode] of [
      ["none", ["none"]],
      ["in-process publish handler", ["handler"]],
      ["HTTP publish proxy", ["proxy", backendUrl]],
    ] as const
  ) {
    console.error(`app handlers: ${label}...`);
    const { lat, tp, cpuUs } = await withHub([...mode], async (url, hub) => {
      const lat = await load(url, ["latency", String(LATENCY_COUNT)]);
      // The hub's CPU time per publication: steadier than publications/s
      // on a busy machine, as it does not count the time others take.
      const before = sampleProc(hub.pid);
      const tp = await load(url, ["throughput", String(PUBLISHERS), String(EACH)]);
      const cpuUs = (sampleProc(hub.pid).cpuUs - before.cpuUs) / (PUBLISHERS * EACH);
      return { lat, tp, cpuUs };
    });
    rows.push(
      `| ${label} | ${lat.p50.toFixed(2)} | ${lat.p99.toFixed(2)} | ${
        Math.round(tp.perSecond).toLocaleString("en-US")
      } | ${cpuUs.toFixed(1)} |`,
    );
  }
  for (
    const [label, mode, how] of [
      ["JWT (HS256)", ["none"], "jwt"],
      ["connect proxy (cookie, no JWT)", ["connect", backendUrl], "cookie"],
    ] as const
  ) {
    console.error(`app handlers: connect ${label}...`);
    const rate = await withHub([...mode], (url) => load(url, ["connect", String(CONNECTS), how]));
    connectRows.push(`| ${label} | ${Math.round(rate.perSecond).toLocaleString("en-US")} |`);
  }
} finally {
  await backend.stop();
}

console.log(`Publish-to-delivery, one publication in flight (${LATENCY_COUNT} after 100 warm-up),
and throughput of ${PUBLISHERS} publishers x ${EACH} publications (up to 16 in flight each, each
on its own topic and received back). The backend is a Deno process answering every publish with
the payload plus a server id, as the in-process handler does. ${
  pinned ? "Hub and backend on core 0, load on core 1." : "Unpinned (no taskset)."
}

| application | p50 ms | p99 ms | publications/s | hub CPU µs/publication |
| --- | ---: | ---: | ---: | ---: |
${rows.join("\n")}

Connect rate: ${CONNECTS} connections opened to \`welcome\` and closed, 32 at a time.

| admission | connections/s |
| --- | ---: |
${connectRows.join("\n")}`);
