/**
 * The idempotency key of a publication: what makes a `publish` safe to
 * retry. The hub, the engines and `RealtimeClient` check it with the same
 * rule.
 *
 * @module
 */

/**
 * What an idempotency key may be: 1 to 64 printable ASCII characters
 * without space (a UUID fits).
 *
 * @example
 * ```ts
 * import { IDEMPOTENCY_KEY_RE } from "./idempotency_key.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(IDEMPOTENCY_KEY_RE.test(crypto.randomUUID()));
 * assert.ok(!IDEMPOTENCY_KEY_RE.test("has space"));
 * ```
 */
export const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,64}$/;

/**
 * What is wrong with a value given as an idempotency key, or `undefined`
 * when it is one.
 *
 * @param value The value seen.
 * @returns The problem, naming what was seen (never the value itself beyond its length).
 *
 * @example
 * ```ts
 * import { idempotencyKeyProblem } from "./idempotency_key.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(idempotencyKeyProblem("k-1"), undefined);
 * assert.match(idempotencyKeyProblem(42)!, /got number/);
 * ```
 */
export function idempotencyKeyProblem(value: unknown): string | undefined {
  if (typeof value === "string" && IDEMPOTENCY_KEY_RE.test(value)) return undefined;
  return `'idempotencyKey' must be 1 to 64 printable ASCII characters without space, got ${
    typeof value === "string" ? `a string of ${value.length}` : typeof value
  }`;
}
