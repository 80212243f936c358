// Numbers every connection keeps, stored so V8 keeps them in the object that
// holds them. Internal.

/**
 * `n`, as a small integer when it is one. V8 keeps a small integer in the
 * object that holds it, but a number computed from a double (`Date.now()`
 * is one) stays a 16-byte number object whatever its value, unless `| 0`
 * makes it an integer again. Past 2^31 or with a fraction, `n` as it is.
 *
 * @param n A number.
 * @returns The same number.
 */
export function smallInteger(n: number): number {
  const int = n | 0;
  return int === n ? int : n;
}
