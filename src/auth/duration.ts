/**
 * Strict parsing of short durations such as `15m`.
 *
 * @module
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PATTERN = /^(\d{1,15})(ms|s|m|h|d)$/;

/**
 * Parses a duration written as a whole number followed by a unit: `ms`, `s`,
 * `m`, `h` or `d` (`250ms`, `30s`, `15m`, `1h`, `7d`). Nothing else is
 * accepted: no spaces, signs, fractions, upper case or unit-less numbers.
 *
 * @param text The duration.
 * @returns The duration in milliseconds.
 * @throws {RangeError} When `text` is not a duration in that form.
 *
 * @example Parse a token lifetime
 * ```ts
 * import { parseDuration } from "@realtime/hub/auth";
 *
 * parseDuration("15m"); // 900_000
 * parseDuration("7d"); // 604_800_000
 * ```
 */
export function parseDuration(text: string): number {
  const match = typeof text === "string" ? PATTERN.exec(text) : null;
  if (match === null) {
    const shown = typeof text === "string" ? `'${text.slice(0, 32)}'` : typeof text;
    throw new RangeError(
      `Cannot parse duration ${shown}: expected a whole number and a unit (ms, s, m, h or d), such as '15m'`,
    );
  }
  const ms = Number(match[1]) * UNIT_MS[match[2]];
  if (!Number.isSafeInteger(ms)) {
    throw new RangeError(`Cannot parse duration '${text}': it is too long`);
  }
  return ms;
}
