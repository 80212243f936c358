// deno-lint-ignore-file no-console
/**
 * Reads a V8 `.cpuprofile` (written by `--cpu-prof`, e.g. with
 * `BENCH_SERVER_DENO_FLAGS="--cpu-prof --cpu-prof-dir=DIR"`) by self time:
 * per category (the hub's code by directory, Deno's WebSocket and event
 * code, its timers, each kind of op, the garbage collector) and per
 * function, so that two servers' profiles of one scenario compare category
 * by category. `(idle)` is left out: it is the time the main thread spent
 * outside JavaScript (waiting, and Deno's own Rust side), which the
 * profiler does not see.
 *
 * A profile covers the whole process, its connection set-up too. `--window
 * NAME` keeps the samples between the 5th and 95th percentile of the times
 * at which NAME is on the stack (e.g. `deliverExact` for the hub's
 * publications, `onMessage` for the bare loop's frames) and scales them up
 * to the whole of that phase; `--per N` divides by N (e.g. the deliveries of
 * the run) to give microseconds per unit.
 *
 * Run: `deno run --allow-read bench/cpu_profile.ts [--window NAME] [--per N] [--top K] FILE...`
 * (several files: their mean).
 *
 * @module
 */

/** The parts of a `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time, microseconds, by category and by function. */
export interface ProfileSummary {
  readonly categories: Map<string, number>;
  readonly functions: Map<string, number>;
}

/**
 * The category of a function, from its name and script URL.
 *
 * @param functionName The call frame's function name.
 * @param url The call frame's script URL.
 * @returns The category, or `undefined` for `(idle)`.
 *
 * @example
 * ```ts
 * import { categoryOf } from "./cpu_profile.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(categoryOf("decide", "file:///app/src/acl/compile.ts"), "hub: acl");
 * assert.equal(categoryOf("op_ws_send_text", ""), "op: op_ws_send_text");
 * assert.equal(categoryOf("(idle)", ""), undefined);
 * ```
 */
export function categoryOf(functionName: string, url: string): string | undefined {
  if (functionName === "(idle)") return undefined;
  if (functionName === "(garbage collector)") return "GC (main thread)";
  if (functionName === "(program)") return "(program)";
  if (functionName.startsWith("op_")) return `op: ${functionName}`;
  const src = /\/src\/([^/]+)\//.exec(url);
  if (src !== null) return `hub: ${src[1]}`;
  if (url.includes("/bench/")) return "bench (bare loops)";
  if (/timers/.test(url)) return "Deno timers";
  if (/deno_websocket|deno_web\/|deno_http/.test(url)) return "Deno WebSocket, HTTP, events";
  if (url.startsWith("ext:")) return `Deno ${url.slice(4).split("/")[0]}`;
  if (url === "") return "V8 builtins and regexps";
  return "other scripts";
}

/**
 * Sums a profile's self time by category and function.
 *
 * @param profile The profile.
 * @param window A function whose presence on the stack marks the phase to
 * keep (between the 5th and 95th percentile of its samples' times, scaled
 * up by 1/0.9); the whole profile when absent.
 * @returns Self time in microseconds.
 *
 * @example Two samples of a function and one idle one
 * ```ts
 * import { summarizeProfile } from "./cpu_profile.ts";
 * import assert from "node:assert/strict";
 *
 * const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0 });
 * const summary = summarizeProfile({
 *   nodes: [
 *     { id: 1, callFrame: frame("(root)"), children: [2, 3] },
 *     { id: 2, callFrame: frame("publish", "file:///x/src/hub/session.ts") },
 *     { id: 3, callFrame: frame("(idle)") },
 *   ],
 *   startTime: 0,
 *   samples: [2, 2, 3],
 *   timeDeltas: [0, 100, 100],
 * });
 * assert.equal(summary.categories.get("hub: hub"), 200);
 * ```
 */
export function summarizeProfile(profile: CpuProfile, window?: string): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // A sample's time is the delta before the next sample (V8's convention).
  const times: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) times.push(t += delta);
  let from = -Infinity;
  let to = Infinity;
  let scale = 1;
  if (window !== undefined) {
    const under = new Map<number, boolean>();
    const isUnder = (id: number): boolean => {
      let known = under.get(id);
      if (known === undefined) {
        const up = parent.get(id);
        known = nodes.get(id)!.callFrame.functionName === window ||
          (up !== undefined && isUnder(up));
        under.set(id, known);
      }
      return known;
    };
    const marked = profile.samples.flatMap((id, i) => isUnder(id) ? [times[i]] : []);
    if (marked.length === 0) throw new Error(`No sample has '${window}' on its stack`);
    from = marked[Math.floor(marked.length * 0.05)];
    to = marked[Math.floor(marked.length * 0.95)];
    scale = 1 / 0.9;
  }
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  for (let i = 0; i + 1 < profile.samples.length; i++) {
    if (times[i] < from || times[i] > to) continue;
    const { functionName, url, lineNumber } = nodes.get(profile.samples[i])!.callFrame;
    const category = categoryOf(functionName, url);
    if (category === undefined) continue;
    const us = profile.timeDeltas[i + 1] * scale;
    categories.set(category, (categories.get(category) ?? 0) + us);
    const name = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(src|bench)\//, "$1/")}:${
      lineNumber + 1
    }`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  return { categories, functions };
}

function table(totals: Map<string, number>, divisor: number, top: number, unit: string): string {
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  const sum = rows.reduce((s, [, v]) => s + v, 0);
  return [
    ...rows.slice(0, top).map(([k, v]) => `${(v / divisor).toFixed(3).padStart(10)} ${unit}  ${k}`),
    `${(sum / divisor).toFixed(3).padStart(10)} ${unit}  (all but idle)`,
  ].join("\n");
}

if (import.meta.main) {
  const args = [...Deno.args];
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at < 0 ? undefined : args.splice(at, 2)[1];
  };
  const window = option("--window");
  const per = Number(option("--per") ?? 1);
  const top = Number(option("--top") ?? 30);
  if (args.length === 0) {
    console.error("Usage: cpu_profile.ts [--window NAME] [--per N] [--top K] FILE...");
    Deno.exit(2);
  }
  const sum = (into: Map<string, number>, from: Map<string, number>) => {
    for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
  };
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const file of args) {
    const summary = summarizeProfile(JSON.parse(Deno.readTextFileSync(file)), window);
    sum(categories, summary.categories);
    sum(functions, summary.functions);
  }
  const divisor = per * args.length;
  const unit = per === 1 ? "us" : "us/unit";
  console.log(
    `By category (mean of ${args.length} profile(s)):\n${table(categories, divisor, 40, unit)}`,
  );
  console.log(`\nBy function:\n${table(functions, divisor, top, unit)}`);
}
