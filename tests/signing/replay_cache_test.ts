// ReplayCache against a plain model: same answers for random adds with
// random expiries as time moves, and never more ids than its bound.

import assert from "node:assert/strict";
import { ReplayCache } from "../../src/signing/_replay_cache.ts";
import { prng } from "../acl/_helpers.ts";

Deno.test("ReplayCache answers as a plain map with expiry does, within its bound", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const random = prng(seed);
    const max = 1 + Math.floor(random() * 20);
    const cache = new ReplayCache(max);
    const model = new Map<string, number>();
    let now = 0;
    for (let step = 0; step < 2_000; step++) {
      now += Math.floor(random() * 3);
      for (const [id, at] of model) if (at <= now) model.delete(id);
      const id = `j${Math.floor(random() * 40)}`;
      const expiresAt = now + 1 + Math.floor(random() * 30);
      const expected = model.has(id) ? "replayed" : model.size >= max ? "full" : "added";
      if (expected === "added") model.set(id, expiresAt);
      assert.equal(cache.add(id, expiresAt, now), expected, `seed ${seed} step ${step}`);
      assert.equal(cache.size, model.size);
      assert.ok(cache.size <= max);
    }
  }
});
