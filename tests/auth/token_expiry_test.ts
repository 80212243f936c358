// Reading a token's expiry without verifying it, as the client and the CLI do.

import assert from "node:assert/strict";
import { tokenExpiresAt } from "../../src/auth/token_expiry.ts";
import { mintToken } from "../../src/auth/mint.ts";

Deno.test("tokenExpiresAt reads exp in milliseconds and tolerates anything else", async () => {
  const now = 1_700_000_000_000;
  const token = await mintToken({ sub: "a" }, { secret: "x".repeat(32) }, {
    ttl: 60,
    now: () => now,
  });
  assert.equal(tokenExpiresAt(token), now + 60_000);
  for (const bad of ["", "a.b.c", "a.e30.c", "a.bm90IGpzb24.c", "only.two"]) {
    assert.equal(tokenExpiresAt(bad), undefined, bad);
  }
});
