import assert from "node:assert/strict";
import { createLoginLimiter } from "../../src/accounts/login_limiter.ts";

Deno.test("createLoginLimiter refuses when either bucket is empty and takes nothing then", () => {
  let now = 0;
  const limiter = createLoginLimiter({
    perUsername: { burst: 2, refillSeconds: 10 },
    perAddress: { burst: 3, refillSeconds: 5 },
    now: () => now,
  });
  assert.equal(limiter.take("alice", "a"), 0);
  assert.equal(limiter.take("alice", "a"), 0);
  assert.equal(limiter.take("alice", "a"), 10_000); // username empty
  assert.equal(limiter.take("bob", "a"), 0); // the refused attempt took no address token
  assert.equal(limiter.take("carol", "a"), 5_000); // address empty
  now = 5_000;
  assert.equal(limiter.take("carol", "a"), 0);
});

Deno.test("createLoginLimiter keeps at most maxKeys keys, oldest forgotten first", () => {
  const now = 0;
  const limiter = createLoginLimiter({
    perUsername: { burst: 1, refillSeconds: 3600 },
    perAddress: { burst: 1_000_000, refillSeconds: 1 },
    now: () => now,
    maxKeys: 3,
  });
  for (const name of ["u1", "u2", "u3"]) assert.equal(limiter.take(name, undefined), 0);
  assert.ok(limiter.take("u1", undefined) > 0);
  assert.equal(limiter.take("u4", undefined), 0); // evicts u1, the oldest
  assert.equal(limiter.take("u1", undefined), 0); // u1 starts over (and evicts u2)
  assert.ok(limiter.take("u3", undefined) > 0); // u3 still remembered
});

Deno.test("createLoginLimiter rejects nonsense limits", () => {
  assert.throws(
    () => createLoginLimiter({ perUsername: { burst: 0, refillSeconds: 1 } }),
    RangeError,
  );
  assert.throws(
    () => createLoginLimiter({ perAddress: { burst: 1, refillSeconds: -1 } }),
    RangeError,
  );
});
