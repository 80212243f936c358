/**
 * Sparklines for the operator console as SVG path data: a pure function,
 * so the page draws them with `setAttribute("d", ...)` and no charting
 * library.
 *
 * @module
 */

/**
 * Options of {@linkcode sparklinePath}.
 *
 * @example A 120 by 30 box
 * ```ts
 * import type { SparklineOptions } from "@realtime/hub/console";
 *
 * const box: SparklineOptions = { width: 120, height: 30 };
 * ```
 */
export interface SparklineOptions {
  /**
   * Width of the drawing box.
   *
   * @default {100}
   */
  width?: number;
  /**
   * Height of the drawing box.
   *
   * @default {24}
   */
  height?: number;
  /**
   * How many points the box spans; fewer values are drawn at the right edge,
   * so a line grows from the right as history accumulates.
   *
   * @default {the number of values}
   */
  span?: number;
}

/**
 * The `d` attribute of an SVG path through `values`, scaled from 0 (bottom)
 * to the largest value (top). `null` values are gaps: the line stops and
 * starts again after them. A flat series is drawn along the bottom.
 *
 * @param values The series, oldest first.
 * @param options Box size and span.
 * @returns Path data, `""` when there is nothing to draw.
 *
 * @example Three points
 * ```ts
 * import { sparklinePath } from "@realtime/hub/console";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sparklinePath([0, 2, 1], { width: 100, height: 20 }), "M0 20L50 0L100 10");
 * assert.equal(sparklinePath([1, null, 1], { width: 2, height: 2 }), "M0 0M2 0");
 * ```
 */
export function sparklinePath(
  values: readonly (number | null)[],
  options: SparklineOptions = {},
): string {
  const { width = 100, height = 24 } = options;
  const span = Math.max(options.span ?? values.length, values.length);
  let max = 0;
  for (const v of values) if (v !== null && Number.isFinite(v) && v > max) max = v;
  const step = span > 1 ? width / (span - 1) : 0;
  const offset = span - values.length;
  let d = "";
  let pen = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      continue;
    }
    const x = round((offset + i) * step);
    const y = round(max === 0 ? height : height - (Math.max(0, v) / max) * height);
    d += `${pen ? "L" : "M"}${x} ${y}`;
    pen = true;
  }
  return d;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
