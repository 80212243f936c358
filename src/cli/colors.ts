/**
 * A few ANSI styles, switched off as a whole when output is not a terminal
 * or `NO_COLOR` is set.
 *
 * @module
 */

/** Text styles; each returns its input unchanged when colour is off. */
export interface Colors {
  /** Whether styles are applied. */
  readonly enabled: boolean;
  /** Dimmed: times, ids. */
  dim(text: string): string;
  /** Bold: topics. */
  bold(text: string): string;
  /** Cyan: senders. */
  cyan(text: string): string;
  /** Green: success. */
  green(text: string): string;
  /** Yellow: warnings. */
  yellow(text: string): string;
  /** Red: errors. */
  red(text: string): string;
}

function style(enabled: boolean, open: number, close: number) {
  return (text: string) => enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text;
}

/**
 * Creates the styles.
 *
 * @param enabled Whether to colour.
 * @returns The styles.
 */
export function createColors(enabled: boolean): Colors {
  return {
    enabled,
    dim: style(enabled, 2, 22),
    bold: style(enabled, 1, 22),
    cyan: style(enabled, 36, 39),
    green: style(enabled, 32, 39),
    yellow: style(enabled, 33, 39),
    red: style(enabled, 31, 39),
  };
}

/**
 * Whether to colour: on a terminal, unless `NO_COLOR` is set to anything
 * non-empty (https://no-color.org) or colour was switched off.
 *
 * @param terminal Whether output is a terminal.
 * @param env The environment.
 * @param requested `false` after `--no-color`.
 * @returns Whether to colour.
 */
export function colorEnabled(
  terminal: boolean,
  env: Readonly<Record<string, string | undefined>>,
  requested: boolean,
): boolean {
  return requested && terminal && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}
