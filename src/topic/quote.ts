/**
 * Renders untrusted strings for error messages: single-quoted, control
 * characters escaped and long values cut, so a hostile topic cannot forge log
 * lines or flood them.
 *
 * @module
 */

const MAX_SHOWN = 64;

/** Quotes `value` for a message, escaping it and cutting it after 64 characters. */
export function quote(value: string): string {
  const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  return `'${JSON.stringify(shown).slice(1, -1).replaceAll("'", "\\'")}'`;
}

/** Describes the type of an unexpected value for a message: `array`, `null`, `string`... */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
