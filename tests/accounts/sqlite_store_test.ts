import assert from "node:assert/strict";
import { createSqliteStore } from "../../src/accounts/sqlite_store.ts";
import { storeSuite } from "./_store_suite.ts";

storeSuite("sqlite", () => Promise.resolve(createSqliteStore(":memory:")));

Deno.test("createSqliteStore creates the file with mode 0600 in a 0700 directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/.realtime/accounts.db`;
    const store = createSqliteStore(path);
    await store.close();
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/.realtime`)).mode! & 0o777, 0o700);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createSqliteStore keeps users and sessions across re-opening", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/accounts.db`;
    {
      await using store = createSqliteStore(path);
      await store.createUser({
        id: "u1",
        username: "alice",
        passwordHash: "h",
        roles: ["a"],
        acl: {},
        now: 1,
      });
      await store.createSession({
        familyId: "f1",
        userId: "u1",
        tokenHash: "t",
        expiresAt: 10,
        now: 1,
      });
    }
    await using store = createSqliteStore(path);
    assert.deepEqual((await store.findUser({ username: "alice" }))?.roles, ["a"]);
    assert.equal(await store.isSessionLive("f1", "u1"), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createSqliteStore records the schema version and refuses a newer one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/accounts.db`;
    (await createSqliteStore(path)).close();
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    assert.deepEqual(
      db.prepare("SELECT version FROM schema_version").all().map((r) => r.version),
      [1],
    );
    db.exec("INSERT INTO schema_version (version) VALUES (99)");
    db.close();
    assert.throws(() => createSqliteStore(path), /schema version 99: this code knows up to 1/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
