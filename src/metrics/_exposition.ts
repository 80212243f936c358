// The Prometheus text exposition format 0.0.4, written by hand: a sample is
// `name{label="value",...} value`, preceded once per family by `# HELP` and
// `# TYPE`. See https://prometheus.io/docs/instrumenting/exposition_formats/.

import type { Histogram, LabeledCounter } from "../hub/metrics.ts";

/** Escapes a HELP text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** Formats a sample value as Go's `ParseFloat` reads it. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Collects the lines of one exposition. */
export class ExpositionWriter {
  #lines: string[] = [];

  #header(name: string, type: string, help: string): void {
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  #sample(name: string, labels: [string, string][], value: number): void {
    const text = labels.length === 0
      ? ""
      : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
    this.#lines.push(`${name}${text} ${formatValue(value)}`);
  }

  /** One unlabeled gauge or counter. */
  single(name: string, type: "gauge" | "counter", help: string, value: number): void {
    this.#header(name, type, help);
    this.#sample(name, [], value);
  }

  /** A counter family with one label; values sorted by label for stable output. */
  labeled(name: string, help: string, label: string, counter: LabeledCounter): void {
    this.#header(name, "counter", help);
    for (const key of [...counter.keys()].sort()) {
      this.#sample(name, [[label, key]], counter.get(key)!);
    }
  }

  /** A histogram: cumulative buckets ending with `+Inf`, then `_sum` and `_count`. */
  histogram(name: string, help: string, histogram: Readonly<Histogram>): void {
    this.#header(name, "histogram", help);
    let cumulative = 0;
    histogram.buckets.forEach((bound, i) => {
      cumulative += histogram.counts[i];
      this.#sample(`${name}_bucket`, [["le", formatValue(bound)]], cumulative);
    });
    // The hub keeps `count` alongside the per-bucket counts; +Inf must equal it.
    this.#sample(`${name}_bucket`, [["le", "+Inf"]], histogram.count);
    this.#sample(`${name}_sum`, [], histogram.sum);
    this.#sample(`${name}_count`, [], histogram.count);
  }

  /** The exposition text, ending with a line feed. */
  toString(): string {
    return this.#lines.join("\n") + "\n";
  }
}
