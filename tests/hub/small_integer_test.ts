import assert from "node:assert/strict";
import { smallInteger } from "../../src/hub/_small_integer.ts";

Deno.test("smallInteger returns the same number for every kind of value", () => {
  const table = [0, 1, -1, 7_200_000, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1.5, -0.25, 1.7e12];
  for (const n of table) assert.equal(smallInteger(n), n, String(n));
  // Computed from a double, an integer result is still the same integer.
  const now = Date.now();
  assert.equal(smallInteger(now + 10 - now), 10);
});
