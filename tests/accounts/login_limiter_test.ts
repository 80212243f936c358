import assert from "node:assert/strict";
import { createLoginLimiter } from "../../src/accounts/login_limiter.ts";

Deno.test("createLoginLimiter refuses when either bucket is empty and takes nothing then", () => {
  let now = 0;
  const limiter = createLoginLimiter({
    perUsernameAndAddress: { burst: 2, refillSeconds: 10 },
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
    perUsernameAndAddress: { burst: 1, refillSeconds: 3600 },
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
  assert.throws(
    () => createLoginLimiter({ perUsernameAndAddress: { burst: 1, refillSeconds: 0 } }),
    /perUsernameAndAddress/,
  );
});

Deno.test("createLoginLimiter: one address's wrong guesses do not lock the user out elsewhere", () => {
  let now = 0;
  const limiter = createLoginLimiter({ now: () => now });
  for (let i = 0; i < 5; i++) assert.equal(limiter.take("victim", "203.0.113.7"), 0);
  assert.equal(limiter.take("victim", "203.0.113.7"), 60_000);
  assert.equal(limiter.take("victim", "198.51.100.2"), 0);
  // The attacker's address is still limited for that user, and renews no lockout elsewhere.
  now = 60_000;
  assert.equal(limiter.take("victim", "203.0.113.7"), 0);
  assert.equal(limiter.take("victim", "203.0.113.7"), 60_000);
  assert.equal(limiter.take("victim", "198.51.100.2"), 0);
});

Deno.test("createLoginLimiter: guesses spread over many addresses meet the per-username ceiling", () => {
  let now = 0;
  const limiter = createLoginLimiter({
    perUsernameAndAddress: { burst: 5, refillSeconds: 60 },
    perUsername: { burst: 12, refillSeconds: 30 },
    now: () => now,
  });
  const attempts = [];
  for (let host = 1; host <= 3; host++) {
    for (let i = 0; i < 5; i++) attempts.push(limiter.take("victim", `192.0.2.${host}`));
  }
  assert.deepEqual(attempts, [...Array(12).fill(0), 30_000, 30_000, 30_000]);
  assert.equal(limiter.take("victim", "198.51.100.2"), 30_000);
  assert.equal(limiter.take("someone else", "198.51.100.2"), 0);
  now = 30_000;
  assert.equal(limiter.take("victim", "198.51.100.2"), 0);
});

Deno.test("createLoginLimiter counts an IPv6 address by its /64 network", () => {
  const limiter = createLoginLimiter({
    perUsernameAndAddress: { burst: 2, refillSeconds: 60 },
    perAddress: { burst: 3, refillSeconds: 60 },
    now: () => 0,
  });
  assert.equal(limiter.take("victim", "2001:db8:1:2::1"), 0);
  assert.equal(limiter.take("victim", "2001:db8:1:2:ffff:ffff:ffff:ffff"), 0);
  assert.equal(limiter.take("victim", "2001:db8:1:2:0:0:0:7"), 60_000);
  assert.equal(limiter.take("victim", "2001:db8:1:3::1"), 0); // another /64
  assert.equal(limiter.take("other", "2001:db8:1:2::9"), 0);
  assert.equal(limiter.take("third", "2001:db8:1:2::a"), 60_000); // the /64's address limit
});

Deno.test("createLoginLimiter without an address limits the username as from one address", () => {
  const limiter = createLoginLimiter({
    perUsernameAndAddress: { burst: 2, refillSeconds: 60 },
    now: () => 0,
  });
  assert.deepEqual(
    [1, 2, 3].map(() => limiter.take("alice", undefined)),
    [0, 0, 60_000],
  );
});
