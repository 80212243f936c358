// Tokens that carry the same roles and capability claim share one frozen
// copy of each: an idle connection holds no parsed copy of its own, and the
// ACL parses the shared capability object once for all of them.

import assert from "node:assert/strict";
import { createTokenVerifier, mintToken } from "../../src/auth/mod.ts";

const secret = "a-claim-sharing-test-secret-of-32-bytes!";

async function token(claims: { sub: string } & Record<string, unknown>): Promise<string> {
  return await mintToken(claims, { secret }, { ttl: "5m" });
}

Deno.test("createTokenVerifier shares equal roles and capability claims between tokens", async () => {
  const { verify } = createTokenVerifier({ secret });
  const acl = { "chat:*": ["subscribe", "publish"] };
  const alice = await verify(await token({ sub: "alice", roles: ["member"], acl }));
  const bob = await verify(await token({ sub: "bob", roles: ["member"], acl: { ...acl } }));
  assert.equal(bob.claims.acl, alice.claims.acl, "one capability object");
  assert.equal(bob.roles, alice.roles, "one roles array");
  assert.equal(alice.roles, alice.claims.roles);
  assert.deepEqual(alice.claims.acl, acl);
  assert.ok(Object.isFrozen(alice.claims.acl));
  assert.ok(Object.isFrozen((alice.claims.acl as Record<string, string[]>)["chat:*"]));
  assert.notEqual(alice.claims, bob.claims, "each token keeps its own claim set");
  assert.equal(bob.sub, "bob");
});

Deno.test("createTokenVerifier keeps different claims apart", async () => {
  const { verify } = createTokenVerifier({ secret });
  const a = await verify(await token({ sub: "a", roles: ["member"], acl: { "x:*": ["*"] } }));
  const b = await verify(await token({ sub: "b", roles: ["admin"], acl: { "y:*": ["*"] } }));
  assert.deepEqual([a.roles, b.roles], [["member"], ["admin"]]);
  assert.deepEqual([a.claims.acl, b.claims.acl], [{ "x:*": ["*"] }, { "y:*": ["*"] }]);
  // A large claim is not kept in the shared table.
  const big = Array.from({ length: 300 }, (_, i) => `role-${i}`);
  const c = await verify(await token({ sub: "c", roles: big }));
  const d = await verify(await token({ sub: "d", roles: big }));
  assert.deepEqual(c.roles, big);
  assert.notEqual(c.roles, d.roles);
});
