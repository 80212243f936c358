/**
 * Turning runs into the Markdown report: median, min and max per figure,
 * ratios to the bare baselines run by run (run k against run k), and the targets the
 * hub will be held to.
 *
 * Connection cost (CPU per accepted connection, memory per idle connection)
 * is held against `bare-deno-jwt`, a bare loop that verifies the same JWT,
 * because every authenticated server pays for verification: at most 1.10x
 * CPU and 0.90x memory, on every hub transport in the same run (issue 12).
 * The ratios to the unauthenticated `bare-deno` loop stay as information.
 *
 * @module
 */

import { BASELINE, BASELINE_JWT, type Peer } from "./_peers.ts";
import type { Figures, Scenario } from "./scenarios/_scenario.ts";
import {
  MICRO_CACHED,
  MICRO_PATTERNS_0,
  MICRO_PATTERNS_100K,
  MICRO_UNCACHED_1000,
} from "./_micro.ts";

/** Every run of one scenario against one peer. */
export interface Cell {
  /** Figures of the runs that succeeded, each with its number (`run`, from 1). */
  readonly runs: Figures[];
  /** Why runs failed. */
  readonly failures: string[];
}

/** All cells, by scenario id then peer id. */
export type Results = Map<string, Map<string, Cell>>;

/** One micro-benchmark, from `deno bench --json`. */
export interface MicroResult {
  /** Group. */
  readonly group: string;
  /** Name. */
  readonly name: string;
  /** Mean time per iteration, ns. */
  readonly avgNs: number;
  /** 99th percentile, ns. */
  readonly p99Ns: number;
}

/** Everything the report shows. */
export interface Report {
  /** Machine and software, as label/value pairs. */
  readonly machine: [string, string][];
  /** Quick or full, runs. */
  readonly mode: string;
  /** Scenarios in order. */
  readonly scenarios: readonly Scenario[];
  /** Scenario descriptions, by id. */
  readonly descriptions: ReadonlyMap<string, string>;
  /** Peers in order, with why a peer was skipped. */
  readonly peers: readonly { peer: Peer; skipped?: string }[];
  /** The figures. */
  readonly results: Results;
  /** Micro-benchmarks, or why they did not run. */
  readonly micro: MicroResult[] | string;
  /** Wall time of the whole invocation, s. */
  readonly seconds: number;
  /** An earlier run to compare the target ratios with. */
  readonly reference?: Reference;
}

/** An earlier run, from `bench/results/reference.json`. */
export interface Reference {
  /** What it was (source, date). */
  readonly label: string;
  /** Its figures. */
  readonly results: Results;
}

/** Median, min and max of a list. */
export interface Spread {
  /** Median (mean of the middle two for an even count). */
  readonly median: number;
  /** Minimum. */
  readonly min: number;
  /** Maximum. */
  readonly max: number;
}

/**
 * Median, min and max of the values, ignoring NaN.
 *
 * @param values The values.
 * @returns The spread, or `undefined` for no values.
 */
export function spread(values: number[]): Spread | undefined {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * The median of one figure of one cell.
 *
 * @param results All results.
 * @param scenario Scenario id.
 * @param peer Peer id.
 * @param key Figure key.
 * @returns The median, or `undefined` when no run succeeded.
 */
export function medianOf(
  results: Results,
  scenario: string,
  peer: string,
  key: string,
): number | undefined {
  return spread(results.get(scenario)?.get(peer)?.runs.map((f) => f[key]) ?? [])?.median;
}

/**
 * A cell's runs by run number. Runs record their number (`run`); files from
 * before they did list them in the order they ran, from 1.
 */
function byRun(cell: Cell | undefined): Map<number, Figures> {
  return new Map(cell?.runs.map((f, i) => [f.run ?? i + 1, f]) ?? []);
}

/**
 * A peer's figure as a ratio to the baseline's, run by run: run k of the peer
 * against run k of the baseline, which ran seconds apart in the same round,
 * so a slow spell of the machine weighs on both sides of a ratio instead of
 * on one median. Median, min and max of those ratios.
 *
 * @param results All results.
 * @param scenario Scenario id.
 * @param peer Peer id.
 * @param key Figure key.
 * @param baseline The baseline's peer id.
 * @returns The ratios' spread, or `undefined` when no run has both sides.
 *
 * @example Run 2 of the hub failed: runs 1 and 3 are paired with their own baselines
 * ```ts
 * import { pairedRatio, type Results } from "./_report.ts";
 * import assert from "node:assert/strict";
 *
 * const results: Results = new Map([["connect_rate", new Map([
 *   ["bare-deno", { runs: [{ run: 1, us: 250 }, { run: 2, us: 375 }, { run: 3, us: 300 }], failures: [] }],
 *   ["hub-deno", { runs: [{ run: 1, us: 500 }, { run: 3, us: 450 }], failures: ["timeout"] }],
 * ])]]);
 * // 500 / 250 and 450 / 300, not a median of the hub's over a median of the baseline's.
 * assert.deepEqual(pairedRatio(results, "connect_rate", "hub-deno", "us"), {
 *   median: 1.75,
 *   min: 1.5,
 *   max: 2,
 * });
 * ```
 */
export function pairedRatio(
  results: Results,
  scenario: string,
  peer: string,
  key: string,
  baseline: string = BASELINE,
): Spread | undefined {
  const cells = results.get(scenario);
  const base = byRun(cells?.get(baseline));
  const ratios: number[] = [];
  for (const [run, figures] of byRun(cells?.get(peer))) {
    const value = figures[key];
    const reference = base.get(run)?.[key];
    if (value !== undefined && reference !== undefined && reference !== 0) {
      ratios.push(value / reference);
    }
  }
  return spread(ratios);
}

/** Load-generator CPU (% of its core) from which a rate counts as client-bound. */
const CLIENT_BOUND_PCT = 90;

function format(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 10_000) return `${(value / 1000).toFixed(1)}k`;
  return value.toFixed(digits);
}

function formatSpread(s: Spread | undefined, digits: number): string {
  if (s === undefined) return "failed";
  if (s.min === s.max) return format(s.median, digits);
  return `${format(s.median, digits)} (${format(s.min, digits)}–${format(s.max, digits)})`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function scenarioTable(report: Report, scenario: Scenario): string {
  const cells = report.results.get(scenario.id) ?? new Map<string, Cell>();
  const header = ["peer"];
  for (const metric of scenario.metrics) {
    header.push(metric.label);
    if (metric.ratio) header.push("× bare");
  }
  const rows: string[][] = [];
  for (const { peer, skipped } of report.peers) {
    if (skipped !== undefined) continue;
    const cell = cells.get(peer.id);
    if (cell === undefined) continue; // not part of this scenario
    const row = [peer.id];
    for (const metric of scenario.metrics) {
      const s = spread(cell?.runs.map((f) => f[metric.key]) ?? []);
      const clientBound = metric.key === "perSecond" &&
        (spread(cell?.runs.map((f) => f.loadCpuPct ?? 0) ?? [])?.median ?? 0) >= CLIENT_BOUND_PCT;
      row.push(formatSpread(s, metric.digits) + (clientBound ? " ⚠" : ""));
      if (metric.ratio) {
        const r = pairedRatio(report.results, scenario.id, peer.id, metric.key);
        row.push(r === undefined ? "–" : r.median.toFixed(2));
      }
    }
    rows.push(row);
  }
  const failures = [...cells.entries()].flatMap(([peer, cell]) =>
    cell.failures.map((why) => `- ${peer} failed: ${why.replaceAll("\n", " ").slice(0, 300)}`)
  );
  const bound = rows.some((row) => row.some((c) => c.endsWith(" ⚠")))
    ? [
      `⚠ load generator at ≥ ${CLIENT_BOUND_PCT} % of its core: the rate is bounded by the client; compare server CPU per unit instead.`,
    ]
    : [];
  return [table(header, rows), ...bound, ...failures].join("\n\n");
}

interface Target {
  readonly what: string;
  /** The figure (its median is judged), with its min and max over runs where that means something. */
  readonly value: (peer: string) => Spread | undefined;
  readonly goal: string;
  readonly met: (value: number) => boolean;
  readonly digits: number;
}

function ratio(
  results: Results,
  scenario: string,
  key: string,
  baseline = BASELINE,
): (peer: string) => Spread | undefined {
  return (peer) => pairedRatio(results, scenario, peer, key, baseline);
}

function micro(report: Report, name: string): number | undefined {
  if (typeof report.micro === "string") return undefined;
  const found = report.micro.find((m) => m.name === name);
  return found === undefined ? undefined : found.avgNs / 1000;
}

/** Connection cost against the authenticated bare loop; every hub transport must meet both. */
function connectionCostTargets(r: Results): Target[] {
  return [
    {
      what: `server CPU per accepted connection vs ${BASELINE_JWT}`,
      value: ratio(r, "connect_rate", "usPerConnection", BASELINE_JWT),
      goal: "≤ 1.10×",
      met: (v) => v <= 1.1,
      digits: 2,
    },
    {
      what: `memory per idle connection vs ${BASELINE_JWT}`,
      value: ratio(r, "memory", "kibPerConnection", BASELINE_JWT),
      goal: "≤ 0.90×",
      met: (v) => v <= 0.9,
      digits: 2,
    },
  ];
}

/**
 * The connection-cost verdict of one run: met only when every hub peer that
 * ran (both transports) meets both targets, so a transport cannot pass on
 * one run and the other on another.
 */
function connectionCostRow(report: Report, hubs: readonly string[]): string[] {
  const verdicts = connectionCostTargets(report.results).flatMap((target) =>
    hubs.map((hub) => {
      const value = target.value(hub);
      return value === undefined ? undefined : target.met(value.median);
    })
  );
  const verdict = hubs.length === 0 || verdicts.includes(undefined)
    ? "not measured"
    : verdicts.every(Boolean)
    ? "met"
    : "**not met**";
  return [
    `connection cost vs ${BASELINE_JWT}, both targets on every transport in this run`,
    hubs.join(", ") || "–",
    `${verdicts.filter((v) => v === true).length} of ${verdicts.length} met`,
    "all",
    verdict,
  ];
}

/** The scenario targets, each computed from a set of results. */
function scenarioTargets(r: Results): Target[] {
  const stall = (peer: string) => {
    const values = [medianOf(r, "fanout", peer, "stallMs"), medianOf(r, "latency", peer, "stallMs")]
      .filter((v): v is number => v !== undefined);
    if (values.length === 0) return undefined;
    const worst = Math.max(...values);
    return { median: worst, min: worst, max: worst };
  };
  return [
    {
      what: "fan-out deliveries/s vs bare",
      value: ratio(r, "fanout", "perSecond"),
      goal: "≥ 2.00×",
      met: (v) => v >= 2,
      digits: 2,
    },
    {
      what: "many-topics deliveries/s vs bare",
      value: ratio(r, "many_topics", "perSecond"),
      goal: "≥ 1.50×",
      met: (v) => v >= 1.5,
      digits: 2,
    },
    ...connectionCostTargets(r),
    {
      what: "memory per idle connection, soon after, vs node-ws",
      value: ratio(r, "memory", "kibPerConnection", "node-ws"),
      goal: "≤ 1.25×",
      met: (v) => v <= 1.25,
      digits: 2,
    },
    {
      what: "memory per idle connection, settled, vs node-ws",
      value: ratio(r, "memory", "settledKiB", "node-ws"),
      goal: "≤ 1.25×",
      met: (v) => v <= 1.25,
      digits: 2,
    },
    {
      what: `cold start: server CPU per connection into a fresh process vs ${BASELINE_JWT}`,
      value: ratio(r, "cold_start", "usPerConnection", BASELINE_JWT),
      goal: "≤ 1.10×",
      met: (v) => v <= 1.1,
      digits: 2,
    },
    // Only with BENCH_BEFORE (an earlier checkout's hub as `<peer>-before`).
    {
      what: "fan-out to 100, server CPU per delivery vs the same transport before",
      value: (peer) => pairedRatio(r, "fanout_100", peer, "usPerDelivery", `${peer}-before`),
      goal: "≤ 0.70×",
      met: (v) => v <= 0.7,
      digits: 2,
    },
    {
      what: "latency p99 vs the same transport before",
      value: (peer) => pairedRatio(r, "latency", peer, "p99", `${peer}-before`),
      goal: "≤ 1.10×",
      met: (v) => v <= 1.1,
      digits: 2,
    },
    {
      what: "latency p99 vs bare",
      value: ratio(r, "latency", "p99"),
      goal: "≤ 1.20×",
      met: (v) => v <= 1.2,
      digits: 2,
    },
    {
      what: "longest stall, fan-out and latency (ms, median of runs)",
      value: stall,
      goal: "≤ 50 ms",
      met: (v) => v <= 50,
      digits: 1,
    },
  ];
}

/** Publish-to-delivery on an unrelated topic with 100,000 patterns subscribed, as a ratio to none. */
function patternsRow(report: Report): string[] {
  const none = micro(report, MICRO_PATTERNS_0);
  const many = micro(report, MICRO_PATTERNS_100K);
  const value = none === undefined || many === undefined ? undefined : many / none;
  return [
    "publish-to-delivery, unrelated topic, 100,000 patterns vs 0",
    "hub (ws)",
    value === undefined
      ? "–"
      : `${value.toFixed(2)}× (${many!.toFixed(1)} vs ${none!.toFixed(1)} us)`,
    "≤ 1.20×",
    value === undefined ? "not measured" : value <= 1.2 ? "met" : "**not met**",
  ];
}

/** The peer that publishes as a client that does not batch (issue 24). */
const UNBATCHED = "hub-deno-v1";

/**
 * Server CPU per delivery of a publisher that does not batch, against the
 * bare loop in the same run (issue 24: at most 1.10×).
 */
function unbatchedRow(report: Report): string[] {
  const value = pairedRatio(report.results, "fire_and_forget", UNBATCHED, "usPerDelivery");
  return [
    "fire-and-forget publisher without batching, server CPU per delivery vs bare",
    UNBATCHED,
    value === undefined ? "–" : formatSpread(value, 2),
    "≤ 1.10×",
    value === undefined ? "not measured" : value.median <= 1.1 ? "met" : "**not met**",
  ];
}

/** The WebSocket subscriber the other doors' subscribers are judged against. */
const WEBSOCKET_SUBSCRIBER = "hub-deno";

/** The fan-out peers whose subscribers come in through another door (issue 24). */
const OTHER_DOORS = ["hub-deno-stomp", "hub-deno-sse"] as const;

/**
 * Server CPU per fan-out delivery to a STOMP or SSE subscriber, against a
 * WebSocket subscriber of the same hub on the same transport, run by run in
 * the same invocation (issue 24: at most 1.50×).
 */
function otherDoorRows(report: Report): string[][] {
  return OTHER_DOORS.map((door) => {
    const value = pairedRatio(
      report.results,
      "fanout",
      door,
      "usPerDelivery",
      WEBSOCKET_SUBSCRIBER,
    );
    return [
      `fan-out, server CPU per delivery vs a WebSocket subscriber (${WEBSOCKET_SUBSCRIBER})`,
      door,
      value === undefined ? "–" : formatSpread(value, 2),
      "≤ 1.50×",
      value === undefined ? "not measured" : value.median <= 1.5 ? "met" : "**not met**",
    ];
  });
}

function targetsTable(report: Report): string {
  const targets = scenarioTargets(report.results);
  const hubs = report.peers.filter(({ peer, skipped }) => skipped === undefined && peer.hub)
    .map(({ peer }) => peer.id);
  const rows: string[][] = [];
  for (const target of targets) {
    for (const hub of hubs) {
      const value = target.value(hub);
      rows.push([
        target.what,
        hub,
        value === undefined ? "–" : formatSpread(value, target.digits),
        target.goal,
        value === undefined ? "not measured" : target.met(value.median) ? "met" : "**not met**",
      ]);
    }
  }
  const cached = micro(report, MICRO_CACHED);
  const uncached = micro(report, MICRO_UNCACHED_1000);
  const microRow = (what: string, value: number | undefined, limit: number) => [
    what,
    "ACL engine",
    value === undefined ? "–" : `${value.toFixed(3)} us`,
    `< ${limit} us`,
    value === undefined ? "not measured" : value < limit ? "met" : "**not met**",
  ];
  rows.push(connectionCostRow(report, hubs));
  rows.push(microRow("cached ACL decision", cached, 1));
  rows.push(microRow("uncached decision vs 1,000 rules", uncached, 20));
  rows.push(patternsRow(report));
  rows.push(unbatchedRow(report));
  rows.push(...otherDoorRows(report));
  // Not targets: the same figures against the unauthenticated bare loop, and
  // memory without what a server grows by once on its first connections.
  const information = [
    ["server CPU per accepted connection vs bare", "connect_rate", "usPerConnection", BASELINE],
    [
      `first-connections CPU per connection (fresh process) vs ${BASELINE_JWT}`,
      "connect_rate",
      "coldUsPerConnection",
      BASELINE_JWT,
    ],
    ["memory per idle connection vs bare", "memory", "kibPerConnection", BASELINE],
    ["marginal memory per idle connection vs bare", "memory", "marginalKiB", BASELINE],
    [
      "fire-and-forget publisher, server CPU per delivery vs bare",
      "fire_and_forget",
      "usPerDelivery",
      BASELINE,
    ],
  ] as const;
  for (const [what, scenario, key, baseline] of information) {
    for (const hub of hubs) {
      const value = pairedRatio(report.results, scenario, hub, key, baseline);
      if (value !== undefined) rows.push([what, hub, formatSpread(value, 2), "–", "information"]);
    }
  }
  return table(["target", "peer", "measured", "goal", "verdict"], rows);
}

/** Target ratios of this run next to the reference run's (same harness, same machine). */
function changeTable(report: Report, reference: Reference): string {
  const now = scenarioTargets(report.results);
  const before = scenarioTargets(reference.results);
  const rows: string[][] = [];
  for (let i = 0; i < now.length; i++) {
    for (const { peer, skipped } of report.peers) {
      if (skipped !== undefined || !peer.hub) continue;
      const a = before[i].value(peer.id);
      const b = now[i].value(peer.id);
      if (a === undefined && b === undefined) continue;
      const show = (v: Spread | undefined) =>
        v === undefined ? "–" : v.median.toFixed(now[i].digits);
      rows.push([now[i].what, peer.id, show(a), show(b), now[i].goal]);
    }
  }
  return table(["target", "peer", "reference", "this run", "goal"], rows);
}

function microTable(report: Report): string {
  if (typeof report.micro === "string") return `Not run: ${report.micro}`;
  return table(
    ["group", "benchmark", "avg", "p99"],
    report.micro.map((m) => [
      m.group,
      // A code span: deno fmt would read the `*` of patterns as emphasis.
      "`" + m.name + "`",
      formatTime(m.avgNs),
      formatTime(m.p99Ns),
    ]),
  );
}

function formatTime(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} us`;
  return `${ns.toFixed(1)} ns`;
}

/**
 * Renders the report as Markdown (run `deno fmt` on it to align tables).
 *
 * @param report What to render.
 * @returns The Markdown, starting at a level-2 heading.
 */
export function renderReport(report: Report): string {
  const parts: string[] = [];
  parts.push("## Latest results");
  parts.push(
    `Generated by \`deno task bench${
      report.mode.startsWith("quick") ? " --quick" : ""
    }\` (${report.mode}; ${report.seconds.toFixed(0)} s). ` +
      "Figures are the median of the runs, with (min–max) when they differ. `× bare` pairs the " +
      `runs: run k of a peer divided by run k of \`${BASELINE}\` (same round, seconds apart), ` +
      "the median of those ratios; the targets table gives their (min–max) too. CPU % is of one " +
      "core (server pinned to core 0, load generator to core 1); a load generator near 100 % " +
      "means the figure is bounded by the client, not the server.",
  );
  parts.push(table(["", ""], report.machine.map(([k, v]) => [k, v.replaceAll("|", "\\|")])));
  parts.push(
    table(
      ["peer", "what"],
      report.peers.map(({ peer, skipped }) => [
        peer.id,
        skipped === undefined ? peer.label : `skipped: ${skipped}`,
      ]),
    ),
  );
  parts.push("### Targets");
  parts.push(targetsTable(report));
  if (report.reference !== undefined) {
    parts.push("### Against the reference run");
    parts.push(
      `The same targets in the reference run, ${report.reference.label} ` +
        "(`bench/results/reference.json`), each a ratio to its baseline in its own run.",
    );
    parts.push(changeTable(report, report.reference));
  }
  for (const scenario of report.scenarios) {
    parts.push(`### ${scenario.title}`);
    parts.push(report.descriptions.get(scenario.id) ?? "");
    parts.push(scenarioTable(report, scenario));
  }
  parts.push("### Micro-benchmarks (`deno bench`)");
  parts.push(microTable(report));
  return parts.join("\n\n") + "\n";
}
