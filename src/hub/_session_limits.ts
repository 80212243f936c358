/**
 * A session's bounds on misbehaviour and on token lifetime, as pure
 * functions of its counters and the clock: the protocol-violation window,
 * how often refused publications are audited, and when the token's
 * warning and the refresh handler's retries are due.
 *
 * @module
 */

/**
 * Records a protocol violation at `now` in `violations` (times, oldest
 * first), dropping those older than `windowMs`; returns how many are left
 * in the window, this one included.
 */
export function recordViolation(violations: number[], now: number, windowMs: number): number {
  const since = now - windowMs;
  while (violations.length > 0 && violations[0] <= since) violations.shift();
  violations.push(now);
  return violations.length;
}

/** Whether the `refused`th refused publication is audited: the 1st, 10th, 100th... so a flood cannot flood the log. */
export function auditsRefusal(refused: number): boolean {
  return /^10*$/.test(String(refused));
}

/**
 * When `token_expiring` is due for a token expiring at `expiresAt`: the
 * configured lead before it, or half the time left when that is shorter.
 */
export function expiringAt(expiresAt: number, now: number, leadMs: number): number {
  const remaining = expiresAt - now;
  return expiresAt - Math.min(leadMs, remaining / 2);
}

/** Whether a refresh handler's `expiresAt` is usable: `null` (never) or a time after `now`. */
export function validRefresh(next: unknown, now: number): next is number | null {
  return next === null || (typeof next === "number" && next > now);
}

/**
 * When a refresh that failed (retryably) is tried again: at half the time
 * left, while more than two seconds are left; `undefined` otherwise.
 */
export function refreshRetryAt(expiresAt: number, now: number): number | undefined {
  const left = expiresAt - now;
  return left > 2000 ? expiresAt - left / 2 : undefined;
}
