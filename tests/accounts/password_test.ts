import assert from "node:assert/strict";
import {
  checkPasswordLength,
  hashPassword,
  needsRehash,
  OWASP_ARGON2ID,
  verifyPassword,
} from "../../src/accounts/password.ts";
import { AccountsError } from "../../src/accounts/errors.ts";
import { signup, startAccountsServer } from "./_server.ts";

Deno.test("hashPassword uses argon2id at the OWASP parameters with a fresh salt each time", async () => {
  const a = await hashPassword("same passphrase");
  const b = await hashPassword("same passphrase");
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a.split("$")[4], b.split("$")[4]);
  assert.equal(await verifyPassword("same passphrase", a), true);
  assert.equal(await verifyPassword("same passphrasf", a), false);
});

Deno.test("hashPassword refuses parameters below the OWASP minimum", async () => {
  await assert.rejects(
    hashPassword("a passphrase", { ...OWASP_ARGON2ID, memoryKiB: 4096 }),
    RangeError,
  );
});

Deno.test("verifyPassword is false for a tampered or unreadable hash", async () => {
  const phc = await hashPassword("a passphrase");
  const last = phc.at(-2) === "A" ? "B" : "A";
  assert.equal(await verifyPassword("a passphrase", phc.slice(0, -2) + last + phc.at(-1)), false);
  assert.equal(
    await verifyPassword("a passphrase", "$argon2id$v=19$m=99999999,t=2,p=1$xx$yy"),
    false,
  );
  assert.equal(await verifyPassword("a passphrase", "plain"), false);
});

Deno.test("checkPasswordLength refuses over 256 UTF-8 bytes without hashing", () => {
  checkPasswordLength("x".repeat(256));
  checkPasswordLength("é".repeat(128));
  // Synchronous: a refusal is decided before any hashing could start (hashing is asynchronous).
  for (const long of ["x".repeat(257), "é".repeat(129), "x".repeat(1_000_000)]) {
    assert.throws(
      () => checkPasswordLength(long),
      (e) =>
        e instanceof AccountsError && e.code === "PASSWORD_TOO_LONG" && !e.message.includes(long),
    );
  }
});

Deno.test("needsRehash is true when any parameter rose", async () => {
  const phc = await hashPassword("a passphrase");
  assert.equal(needsRehash(phc, OWASP_ARGON2ID), false);
  assert.equal(needsRehash(phc, { ...OWASP_ARGON2ID, memoryKiB: 24576 }), true);
  assert.equal(needsRehash(phc, { ...OWASP_ARGON2ID, iterations: 3 }), true);
  assert.equal(needsRehash("garbage", OWASP_ARGON2ID), true);
});

Deno.test("POST /auth/login rehashes a stored hash when the parameters were raised", async () => {
  const raised = { memoryKiB: 24576, iterations: 2, parallelism: 1 };
  await using server = await startAccountsServer();
  await signup(server, "alice");
  const before = (await server.store.findUser({ username: "alice" }))!.passwordHash;
  assert.match(before, /m=19456,/);
  // Same store, raised parameters: log in through a second handler on it.
  await using raisedServer = await startAccountsServer({ store: server.store, argon2: raised });
  const res = await raisedServer.post("/auth/login", {
    username: "alice",
    password: "correct horse battery",
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const after = (await server.store.findUser({ username: "alice" }))!.passwordHash;
  assert.match(after, /^\$argon2id\$v=19\$m=24576,t=2,p=1\$/);
  assert.equal(await verifyPassword("correct horse battery", after), true);
});
