/**
 * What a scenario is on the orchestrator's side: the sizes it sends to the
 * load generator (`bench/node/load/<id>.mjs`), and how it turns the load
 * generator's result and the /proc samples taken at its marks into figures.
 *
 * @module
 */

import type { ProcSample } from "../_proc.ts";
import type { ScenarioSizes } from "../_config.ts";

/** The server and load-generator samples taken at one mark. */
export interface MarkSample {
  /** The server process. */
  readonly server: ProcSample;
  /** The load-generator process. */
  readonly load: ProcSample;
}

/** The load generator's answer (fields depend on the scenario). */
export type LoadResult = Record<string, number | string | undefined>;

/** Figures of one run, by metric key. */
export type Figures = Record<string, number>;

/** One column of a scenario's table. */
export interface Metric {
  /** Key in {@linkcode Figures}. */
  readonly key: string;
  /** Column heading, with its unit. */
  readonly label: string;
  /** Digits after the decimal point. */
  readonly digits: number;
  /** Whether to add a "vs bare" ratio column. */
  readonly ratio?: boolean;
}

/** A benchmark scenario. */
export interface Scenario {
  /** File name of the load-generator module, without `.mjs`. */
  readonly id: string;
  /** Heading in the report. */
  readonly title: string;
  /** One sentence on what is measured. */
  readonly describe: (sizes: ScenarioSizes) => string;
  /** What the load generator receives as `ctx.params`. */
  readonly params: (sizes: ScenarioSizes) => Record<string, number>;
  /** How long the scenario sleeps on purpose (ms), added to the run's time limit. */
  readonly waitMs?: (sizes: ScenarioSizes) => number;
  /** How many hub tokens the run needs (one per connection, publisher included). */
  readonly tokens: (sizes: ScenarioSizes) => number;
  /** The table's columns, in order. */
  readonly metrics: readonly Metric[];
  /** Figures from the result and the marks; throws when a mark is missing. */
  readonly figures: (result: LoadResult, marks: ReadonlyMap<string, MarkSample>) => Figures;
}

/**
 * CPU use of both processes between two marks: server and load-generator
 * CPU as a percentage of one core, and server CPU in microseconds.
 *
 * @param marks The samples by mark name.
 * @param from The first mark.
 * @param to The second mark.
 * @returns `serverCpuPct`, `loadCpuPct`, `serverCpuUs` and `wallMs`.
 */
export function cpuBetween(
  marks: ReadonlyMap<string, MarkSample>,
  from: string,
  to: string,
): { serverCpuPct: number; loadCpuPct: number; serverCpuUs: number; wallMs: number } {
  const a = marks.get(from);
  const b = marks.get(to);
  if (a === undefined || b === undefined) {
    throw new Error(`Missing mark '${a === undefined ? from : to}'`);
  }
  const wallMs = b.server.at - a.server.at;
  const serverCpuUs = b.server.cpuUs - a.server.cpuUs;
  const loadCpuUs = b.load.cpuUs - a.load.cpuUs;
  return {
    serverCpuPct: serverCpuUs / (wallMs * 1000) * 100,
    loadCpuPct: loadCpuUs / (wallMs * 1000) * 100,
    serverCpuUs,
    wallMs,
  };
}

/** The CPU columns every throughput scenario shows. */
export const CPU_METRICS: readonly Metric[] = [
  { key: "serverCpuPct", label: "server CPU %", digits: 0 },
  { key: "loadCpuPct", label: "load CPU %", digits: 0 },
];
