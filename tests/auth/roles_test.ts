import assert from "node:assert/strict";
import { readRoles } from "../../src/auth/roles.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { SECRET, secretBytes, sign } from "./_fixtures.ts";

const ROWS: [string, Record<string, unknown>, string, string[]][] = [
  ["an array", { roles: ["admin", "member"] }, "roles", ["admin", "member"]],
  ["a space-separated string", { scope: "read  write\tadmin" }, "scope", [
    "read",
    "write",
    "admin",
  ]],
  ["a dotted path", { realm_access: { roles: ["ops"] } }, "realm_access.roles", ["ops"]],
  ["a claim whose name has dots", { "https://app.test/roles": ["x"] }, "https://app.test/roles", [
    "x",
  ]],
  ["an absent claim", {}, "roles", []],
  ["an absent path segment", { realm_access: null }, "realm_access.roles", []],
  ["a number", { roles: 7 }, "roles", []],
  ["an array with non-strings", { roles: ["a", 1, null, "", "b"] }, "roles", ["a", "b"]],
  ["an inherited property", {}, "constructor", []],
];

for (const [name, claims, path, expected] of ROWS) {
  Deno.test(`readRoles reads ${name}`, () => {
    assert.deepEqual(readRoles(claims, path), expected);
  });
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

Deno.test("createTokenVerifier reads roles from the configured rolesClaim", async () => {
  const token = await sign(
    { sub: "alice", realm_access: { roles: ["admin"] }, roles: ["ignored"], exp: inAnHour() },
    secretBytes,
    { alg: "HS256" },
  );
  const verifier = createTokenVerifier({ secret: SECRET, rolesClaim: "realm_access.roles" });
  assert.deepEqual((await verifier.verify(token)).roles, ["admin"]);
  const plain = await sign({ sub: "bob", exp: inAnHour() }, secretBytes, { alg: "HS256" });
  assert.deepEqual((await verifier.verify(plain)).roles, []);
});
