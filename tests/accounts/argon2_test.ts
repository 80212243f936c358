import assert from "node:assert/strict";
import { argon2id } from "hash-wasm";
import { createArgon2id } from "../../src/accounts/_argon2.ts";
import { ARGON2_WASM_BASE64, HASH_WASM_VERSION } from "../../src/accounts/_argon2_wasm.ts";
import { lockedArgon2Wasm } from "../../scripts/vendor_argon2.ts";

const salt = new TextEncoder().encode("a salt of 16 by!");

// Growing, shrinking and growing again on one instance: a block left over
// from an earlier hash would change every later one (the core's first pass
// XORs into memory), and a larger cost after a smaller one must grow it.
const COSTS = [
  { memoryKiB: 19456, iterations: 2, parallelism: 1, password: "correct horse battery" },
  { memoryKiB: 64, iterations: 1, parallelism: 1, password: "x" },
  { memoryKiB: 19456, iterations: 2, parallelism: 1, password: "correct horse battery" },
  { memoryKiB: 1024, iterations: 3, parallelism: 4, password: "héllo wörld ✓" },
  { memoryKiB: 24576, iterations: 2, parallelism: 1, password: "a longer passphrase" },
  { memoryKiB: 100, iterations: 2, parallelism: 3, password: "q" },
];

Deno.test("createArgon2id derives what hash-wasm's argon2id does, reusing one instance", async () => {
  const instance = await createArgon2id();
  for (const { password, ...cost } of COSTS) {
    const expected = await argon2id({
      password,
      salt,
      memorySize: cost.memoryKiB,
      iterations: cost.iterations,
      parallelism: cost.parallelism,
      hashLength: 32,
      outputType: "binary",
    });
    assert.deepEqual(instance.derive(password, salt, cost, 32), expected, JSON.stringify(cost));
  }
});

Deno.test("createArgon2id keeps one cost's worth of memory across many hashes", async () => {
  const instance = await createArgon2id();
  const cost = { memoryKiB: 19456, iterations: 2, parallelism: 1 };
  instance.derive("first", salt, cost, 32);
  const held = instance.memoryBytes;
  assert.ok(held < 21 * 2 ** 20, `holds ${held} bytes`);
  for (let i = 0; i < 5; i++) instance.derive(`password ${i}`, salt, cost, 32);
  assert.equal(instance.memoryBytes, held);
});

Deno.test("the vendored argon2 core is the one in the locked hash-wasm package", async () => {
  const locked = await lockedArgon2Wasm();
  assert.equal(HASH_WASM_VERSION, locked.version);
  assert.ok(
    ARGON2_WASM_BASE64 === locked.base64,
    "src/accounts/_argon2_wasm.ts is stale: run scripts/vendor_argon2.ts",
  );
});
