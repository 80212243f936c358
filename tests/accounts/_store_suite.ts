// The one suite every AccountStore passes. Each backend's test file calls
// storeSuite with a factory that opens a fresh, empty store.

import assert from "node:assert/strict";
import type { AccountStore, Rotation } from "../../src/accounts/store.ts";
import { AccountsError } from "../../src/accounts/errors.ts";

export interface SuiteOptions {
  /** Skip every test (with the reason in the test name's output). */
  ignore?: boolean;
}

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

function user(id: string, username: string) {
  return { id, username, passwordHash: `$argon2id$${id}`, roles: ["member"], acl: {}, now: T0 };
}

function rotation(presented: string, next: string, now: number, graceMs = 10_000): Rotation {
  return {
    presentedHash: presented,
    nextHash: next,
    nextSealed: `sealed(${next})`,
    expiresAt: now + DAY,
    now,
    graceMs,
  };
}

async function withSession(store: AccountStore, family = "f1", first = "h0"): Promise<void> {
  await store.createUser(user("u1", "alice"));
  await store.createSession({
    familyId: family,
    userId: "u1",
    tokenHash: first,
    expiresAt: T0 + DAY,
    now: T0,
  });
}

export function storeSuite(
  backend: string,
  open: () => Promise<AccountStore>,
  options: SuiteOptions = {},
): void {
  const test = (name: string, fn: (store: AccountStore) => Promise<void>) =>
    Deno.test({
      name: `AccountStore [${backend}] ${name}`,
      ignore: options.ignore,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        const store = await open();
        try {
          await fn(store);
        } finally {
          await store.close();
        }
      },
    });

  test("creates and finds users by id and by username", async (store) => {
    const created = await store.createUser({
      ...user("u1", "alice"),
      acl: { "chat:*": ["subscribe"] },
    });
    assert.deepEqual(created, {
      id: "u1",
      username: "alice",
      passwordHash: "$argon2id$u1",
      roles: ["member"],
      acl: { "chat:*": ["subscribe"] },
      disabled: false,
      createdAt: T0,
      updatedAt: T0,
    });
    assert.deepEqual(await store.findUser({ id: "u1" }), created);
    assert.deepEqual(await store.findUser({ username: "alice" }), created);
    assert.equal(await store.findUser({ username: "bob" }), undefined);
  });

  test("refuses a duplicate username with USERNAME_TAKEN and keeps the first", async (store) => {
    await store.createUser(user("u1", "alice"));
    await assert.rejects(
      store.createUser(user("u2", "alice")),
      (e) => e instanceof AccountsError && e.code === "USERNAME_TAKEN",
    );
    assert.equal((await store.findUser({ username: "alice" }))?.id, "u1");
    assert.equal(await store.findUser({ id: "u2" }), undefined);
  });

  test("lists users in username order, page by page", async (store) => {
    for (const [id, name] of [["3", "carol"], ["1", "alice"], ["2", "bob"]]) {
      await store.createUser(user(id, name));
    }
    const names = async (o?: { after?: string; limit?: number }) =>
      (await store.listUsers(o)).map((u) => u.username);
    assert.deepEqual(await names(), ["alice", "bob", "carol"]);
    assert.deepEqual(await names({ limit: 2 }), ["alice", "bob"]);
    assert.deepEqual(await names({ after: "bob" }), ["carol"]);
  });

  test("updates only the given fields and the update time", async (store) => {
    await store.createUser(user("u1", "alice"));
    const updated = await store.updateUser("u1", { roles: ["admin"], disabled: true }, T0 + 5);
    assert.deepEqual(updated?.roles, ["admin"]);
    assert.equal(updated?.disabled, true);
    assert.equal(updated?.passwordHash, "$argon2id$u1");
    assert.equal(updated?.updatedAt, T0 + 5);
    assert.equal(updated?.createdAt, T0);
    const again = await store.updateUser("u1", { passwordHash: "new", disabled: false }, T0 + 6);
    assert.equal(again?.passwordHash, "new");
    assert.equal(again?.disabled, false);
    assert.equal(await store.updateUser("nobody", { roles: [] }, T0), undefined);
  });

  test("rotates a live token once; its successor is the live one", async (store) => {
    await withSession(store);
    assert.deepEqual(await store.rotate(rotation("h0", "h1", T0 + 1)), {
      outcome: "rotated",
      userId: "u1",
      familyId: "f1",
    });
    assert.equal((await store.rotate(rotation("h1", "h2", T0 + 2))).outcome, "rotated");
  });

  test("within the grace the replaced token yields the sealed successor and changes nothing", async (store) => {
    await withSession(store);
    await store.rotate(rotation("h0", "h1", T0 + 1));
    assert.deepEqual(await store.rotate(rotation("h0", "hX", T0 + 5_000)), {
      outcome: "grace",
      userId: "u1",
      familyId: "f1",
      sealed: "sealed(h1)",
    });
    // hX was never stored: presenting it is unknown.
    assert.equal((await store.rotate(rotation("hX", "hY", T0 + 5_001))).outcome, "invalid");
    assert.equal((await store.rotate(rotation("h1", "h2", T0 + 5_002))).outcome, "rotated");
  });

  test("a replaced token after the grace is a reuse that revokes the family", async (store) => {
    await withSession(store);
    await store.rotate(rotation("h0", "h1", T0 + 1));
    assert.equal((await store.rotate(rotation("h0", "hX", T0 + 10_002))).outcome, "reused");
    assert.equal(await store.isSessionLive("f1", "u1"), false);
    assert.equal((await store.rotate(rotation("h1", "h2", T0 + 10_003))).outcome, "invalid");
  });

  test("a token two rotations old is a reuse even within the grace", async (store) => {
    await withSession(store);
    await store.rotate(rotation("h0", "h1", T0 + 1));
    await store.rotate(rotation("h1", "h2", T0 + 2));
    assert.equal((await store.rotate(rotation("h0", "hX", T0 + 3))).outcome, "reused");
    assert.equal((await store.rotate(rotation("h2", "h3", T0 + 4))).outcome, "invalid");
  });

  test("ten concurrent rotations of one token leave exactly one live lineage", async (store) => {
    await withSession(store);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.rotate(rotation("h0", `n${i}`, T0 + 1))),
    );
    const rotated = results.filter((r) => r.outcome === "rotated");
    const grace = results.filter((r) => r.outcome === "grace");
    assert.equal(rotated.length, 1);
    assert.equal(grace.length, 9);
    const sealed = new Set(grace.map((r) => r.outcome === "grace" ? r.sealed : ""));
    assert.equal(sealed.size, 1);
    const live = [...sealed][0].slice("sealed(".length, -1);
    assert.equal((await store.rotate(rotation(live, "next", T0 + 2))).outcome, "rotated");
    assert.equal(await store.isSessionLive("f1", "u1"), true);
    for (let i = 0; i < 10; i++) {
      if (`n${i}` === live) continue;
      assert.equal((await store.rotate(rotation(`n${i}`, "z", T0 + 3))).outcome, "invalid");
    }
  });

  test("expired and unknown tokens are invalid and change nothing", async (store) => {
    await withSession(store);
    assert.equal((await store.rotate(rotation("nope", "h1", T0 + 1))).outcome, "invalid");
    assert.equal((await store.rotate(rotation("h0", "h1", T0 + DAY))).outcome, "invalid");
    assert.equal(await store.isSessionLive("f1", "u1"), true);
  });

  test("logout revokes the token's family only", async (store) => {
    await withSession(store);
    await store.createSession({
      familyId: "f2",
      userId: "u1",
      tokenHash: "k0",
      expiresAt: T0 + DAY,
      now: T0,
    });
    assert.deepEqual(await store.revokeByToken("h0", T0 + 1), { userId: "u1", familyId: "f1" });
    assert.equal(await store.revokeByToken("unknown", T0 + 1), undefined);
    assert.equal(await store.isSessionLive("f1", "u1"), false);
    assert.equal(await store.isSessionLive("f2", "u1"), true);
    assert.equal((await store.rotate(rotation("h0", "h1", T0 + 2))).outcome, "invalid");
  });

  test("revokes a user's other sessions, keeping the one named", async (store) => {
    await withSession(store);
    await store.createSession({
      familyId: "f2",
      userId: "u1",
      tokenHash: "k0",
      expiresAt: T0 + DAY,
      now: T0,
    });
    await store.createSession({
      familyId: "f3",
      userId: "u1",
      tokenHash: "m0",
      expiresAt: T0 + DAY,
      now: T0,
    });
    assert.equal(await store.revokeUserSessions("u1", T0 + 1, "f2"), 2);
    assert.deepEqual(
      [
        await store.isSessionLive("f1", "u1"),
        await store.isSessionLive("f2", "u1"),
        await store.isSessionLive("f3", "u1"),
      ],
      [false, true, false],
    );
    assert.equal(await store.isSessionLive("f2", "someone-else"), false);
    assert.equal(await store.revokeUserSessions("u1", T0 + 2), 1);
  });

  test("revoking all of a user's sessions stops every refresh token of theirs, a replaced one in its grace too", async (store) => {
    await withSession(store);
    await store.rotate(rotation("h0", "h1", T0 + 1)); // h0 is now in its grace
    await store.createUser(user("u2", "bob"));
    await store.createSession({
      familyId: "g1",
      userId: "u2",
      tokenHash: "b0",
      expiresAt: T0 + DAY,
      now: T0,
    });
    assert.equal(await store.revokeUserSessions("u1", T0 + 2), 1);
    assert.equal((await store.rotate(rotation("h1", "h2", T0 + 3))).outcome, "invalid");
    assert.equal((await store.rotate(rotation("h0", "h3", T0 + 3))).outcome, "invalid");
    assert.equal(await store.isSessionLive("f1", "u1"), false);
    // Another user's session is untouched.
    assert.equal((await store.rotate(rotation("b0", "b1", T0 + 3))).outcome, "rotated");
  });

  test("prune removes expired tokens and dead families", async (store) => {
    await withSession(store);
    await store.rotate(rotation("h0", "h1", T0 + 1));
    assert.equal(await store.prune(T0 + 2), 0);
    assert.ok((await store.prune(T0 + 3 * DAY)) >= 3);
    assert.equal(await store.isSessionLive("f1", "u1"), false);
  });
}
