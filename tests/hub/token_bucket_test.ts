// The one-number bucket (takeToken) decides as a token bucket counted exactly
// (in thousandths of a token, integers only) for the same rate, burst and
// times. createTokenBucket's floating-point refill may refuse a take a
// millisecond early at an exact boundary, so it is not the reference.

import assert from "node:assert/strict";
import { takeToken } from "../../src/hub/token_bucket.ts";

/** A deterministic pseudo-random sequence (no flaky seeds). */
function* numbers(seed: number): Generator<number> {
  let x = seed;
  while (true) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    yield x;
  }
}

Deno.test("takeToken allows a burst, then refills at the rate", () => {
  let bucket = 0;
  const taken: boolean[] = [];
  for (const now of [1000, 1000, 1000, 1000, 1499, 1500, 1500, 2000]) {
    const next = takeToken(bucket, now, 2, 3);
    taken.push(next !== undefined);
    if (next !== undefined) bucket = next;
  }
  assert.deepEqual(taken, [true, true, true, false, false, true, false, true]);
});

Deno.test("takeToken refuses without changing the bucket", () => {
  const full = takeToken(0, 0, 1, 1)!;
  assert.equal(takeToken(full, 0, 1, 1), undefined);
  assert.equal(takeToken(full, 999, 1, 1), undefined);
  assert.equal(takeToken(full, 1000, 1, 1), 2000);
});

/** A token bucket in thousandths of a token: exact for whole-ms times and rates dividing 1000. */
class ExactBucket {
  #perSecond: number;
  #burst: number;
  #milli: number;
  #last: number;

  constructor(perSecond: number, burst: number, now: number) {
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#milli = burst * 1000;
    this.#last = now;
  }

  take(now: number): boolean {
    this.#milli = Math.min(this.#burst * 1000, this.#milli + (now - this.#last) * this.#perSecond);
    this.#last = now;
    if (this.#milli < 1000) return false;
    this.#milli -= 1000;
    return true;
  }
}

Deno.test("takeToken decides as an exact token bucket over random takes", () => {
  const random = numbers(12);
  for (let round = 0; round < 200; round++) {
    const perSecond = [1, 2, 4, 5, 10, 20, 50, 100, 1000][random.next().value % 9];
    const burst = 1 + (random.next().value % 40);
    let now = random.next().value % 10_000;
    const exact = new ExactBucket(perSecond, burst, now);
    let number = 0;
    for (let i = 0; i < 300; i++) {
      now += [0, 0, 1, 10, 100, 1000][random.next().value % 6];
      const next = takeToken(number, now, perSecond, burst);
      assert.equal(next !== undefined, exact.take(now), `round ${round}, take ${i} at ${now}`);
      if (next !== undefined) number = next;
    }
  }
});
