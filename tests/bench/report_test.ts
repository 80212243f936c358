// The targets table of the benchmark report: connection cost is judged against bare-deno-jwt on
// every hub transport of one run, the unauthenticated loop is information, and the pattern
// micro-benchmark is judged as a ratio.

import assert from "node:assert/strict";
import { PEERS } from "../../bench/_peers.ts";
import { type MicroResult, renderReport, type Results } from "../../bench/_report.ts";
import { MICRO_PATTERNS_0, MICRO_PATTERNS_100K } from "../../bench/_micro.ts";

const peers = PEERS.filter((p) =>
  ["hub-ws", "hub-deno", "bare-deno", "bare-deno-jwt"].includes(p.id)
)
  .map((peer) => ({ peer }));

/** One run per peer: CPU us per connection and KiB per idle connection. */
function results(figures: Record<string, [cpu: number, kib: number]>): Results {
  const cell = (key: string, i: 0 | 1) =>
    new Map(
      Object.entries(figures).map(([peer, f]) => [peer, {
        runs: [{ run: 1, [key]: f[i] }],
        failures: [],
      }]),
    );
  return new Map([
    ["connect_rate", cell("usPerConnection", 0)],
    ["memory", cell("kibPerConnection", 1)],
  ]);
}

function render(r: Results, micro: MicroResult[] | string = "--no-micro"): string[] {
  const md = renderReport({
    machine: [],
    mode: "quick, 1 run",
    scenarios: [],
    descriptions: new Map(),
    peers,
    results: r,
    micro,
    seconds: 1,
  });
  return md.split("\n").filter((line) => line.startsWith("| "));
}

function row(lines: string[], what: string, peer: string): string[] {
  const line = lines.find((l) => l.startsWith(`| ${what} | ${peer} |`));
  assert.ok(line !== undefined, `no row '${what}' for ${peer} in\n${lines.join("\n")}`);
  return line.split("|").slice(1, -1).map((c) => c.trim());
}

const CPU_JWT = "server CPU per accepted connection vs bare-deno-jwt";
const MEM_JWT = "memory per idle connection vs bare-deno-jwt";
const BOTH = "connection cost vs bare-deno-jwt, both targets on every transport in this run";

Deno.test("renderReport judges CPU (1.10x) and memory (0.90x) against bare-deno-jwt", () => {
  const lines = render(results({
    "bare-deno": [100, 10],
    "bare-deno-jwt": [200, 20],
    "hub-ws": [220, 18], // exactly at both limits
    "hub-deno": [221, 18.2], // just past both
  }));
  assert.deepEqual(row(lines, CPU_JWT, "hub-ws").slice(2), ["1.10", "≤ 1.10×", "met"]);
  assert.deepEqual(row(lines, MEM_JWT, "hub-ws").slice(2), ["0.90", "≤ 0.90×", "met"]);
  assert.deepEqual(row(lines, CPU_JWT, "hub-deno").slice(2), ["1.10", "≤ 1.10×", "**not met**"]);
  assert.deepEqual(row(lines, MEM_JWT, "hub-deno").slice(2), ["0.91", "≤ 0.90×", "**not met**"]);
  // One transport failing fails the run's connection-cost verdict.
  assert.deepEqual(row(lines, BOTH, "hub-deno, hub-ws").slice(2), [
    "2 of 4 met",
    "all",
    "**not met**",
  ]);
  // The unauthenticated loop is information, not a target.
  assert.deepEqual(
    row(lines, "server CPU per accepted connection vs bare", "hub-ws").slice(2),
    ["2.20", "–", "information"],
  );
  assert.deepEqual(
    row(lines, "memory per idle connection vs bare", "hub-deno").slice(2),
    ["1.82", "–", "information"],
  );
});

Deno.test("renderReport meets connection cost only when every transport meets both in one run", () => {
  const met = render(results({
    "bare-deno": [100, 10],
    "bare-deno-jwt": [200, 20],
    "hub-ws": [210, 17],
    "hub-deno": [190, 16],
  }));
  assert.deepEqual(row(met, BOTH, "hub-deno, hub-ws").slice(2), ["4 of 4 met", "all", "met"]);
  const missing = render(results({
    "bare-deno": [100, 10],
    "bare-deno-jwt": [200, 20],
    "hub-ws": [210, 17],
  }));
  assert.deepEqual(row(missing, BOTH, "hub-deno, hub-ws").slice(4), ["not measured"]);
});

Deno.test("renderReport judges 100,000 patterns against none within 1.2x", () => {
  const micro = (none: number, many: number): MicroResult[] => [
    { group: "patterns", name: MICRO_PATTERNS_0, avgNs: none, p99Ns: none },
    { group: "patterns", name: MICRO_PATTERNS_100K, avgNs: many, p99Ns: many },
  ];
  const what = "publish-to-delivery, unrelated topic, 100,000 patterns vs 0";
  const r = results({});
  assert.deepEqual(row(render(r, micro(15_000, 18_000)), what, "hub (ws)").slice(2), [
    "1.20× (18.0 vs 15.0 us)",
    "≤ 1.20×",
    "met",
  ]);
  assert.equal(row(render(r, micro(15_000, 115_000_000)), what, "hub (ws)")[4], "**not met**");
  assert.equal(row(render(r), what, "hub (ws)")[4], "not measured");
});

Deno.test("renderReport judges issue 27's targets: memory vs node-ws both ways, cold start, before", () => {
  const cell = (figures: Record<string, Record<string, number>>) =>
    new Map(
      Object.entries(figures).map(([peer, f]) => [peer, {
        runs: [{ run: 1, ...f }],
        failures: [],
      }]),
    );
  const r: Results = new Map([
    [
      "memory",
      cell({
        "node-ws": { kibPerConnection: 8, settledKiB: 4 },
        "hub-ws": { kibPerConnection: 10, settledKiB: 5.2 },
      }),
    ],
    [
      "cold_start",
      cell({ "bare-deno-jwt": { usPerConnection: 300 }, "hub-ws": { usPerConnection: 330 } }),
    ],
    [
      "fanout_100",
      cell({ "hub-ws": { usPerDelivery: 0.7 }, "hub-ws-before": { usPerDelivery: 1 } }),
    ],
  ]);
  const lines = render(r);
  const soon = "memory per idle connection, soon after, vs node-ws";
  const settled = "memory per idle connection, settled, vs node-ws";
  assert.deepEqual(row(lines, soon, "hub-ws").slice(2), ["1.25", "≤ 1.25×", "met"]);
  assert.deepEqual(row(lines, settled, "hub-ws").slice(2), ["1.30", "≤ 1.25×", "**not met**"]);
  const cold = "cold start: server CPU per connection into a fresh process vs bare-deno-jwt";
  assert.deepEqual(row(lines, cold, "hub-ws").slice(2), ["1.10", "≤ 1.10×", "met"]);
  const fanout = "fan-out to 100, server CPU per delivery vs the same transport before";
  assert.deepEqual(row(lines, fanout, "hub-ws").slice(2), ["0.70", "≤ 0.70×", "met"]);
  assert.equal(row(lines, fanout, "hub-deno")[4], "not measured");
});

Deno.test("renderReport judges STOMP and SSE fan-out subscribers against hub-deno within 1.5x", () => {
  const fanout = (figures: Record<string, number[]>): Results =>
    new Map([[
      "fanout",
      new Map(
        Object.entries(figures).map(([peer, us]) => [peer, {
          runs: us.map((usPerDelivery, i) => ({ run: i + 1, usPerDelivery })),
          failures: [],
        }]),
      ),
    ]]);
  const what = "fan-out, server CPU per delivery vs a WebSocket subscriber (hub-deno)";
  const lines = render(fanout({
    "bare-deno": [1, 1],
    "hub-deno": [2, 4],
    "hub-deno-stomp": [3, 6], // exactly 1.5x in both runs
    "hub-deno-sse": [3, 8], // 1.5x and 2x: median 1.75x
  }));
  assert.deepEqual(row(lines, what, "hub-deno-stomp").slice(2), ["1.50", "≤ 1.50×", "met"]);
  assert.deepEqual(row(lines, what, "hub-deno-sse").slice(2), [
    "1.75 (1.50–2.00)",
    "≤ 1.50×",
    "**not met**",
  ]);
  // Paired with hub-deno, not with the bare loop.
  const missing = render(fanout({ "bare-deno": [1], "hub-deno-sse": [1.2] }));
  assert.deepEqual(row(missing, what, "hub-deno-sse").slice(2), ["–", "≤ 1.50×", "not measured"]);
});
