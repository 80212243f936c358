import assert from "node:assert/strict";
import { createPostgresStore } from "../../src/accounts/postgres_store.ts";
import type { AccountStore } from "../../src/accounts/store.ts";
import { findPostgresBin, type PostgresServer, startPostgres } from "./_postgres.ts";
import { storeSuite } from "./_store_suite.ts";

const bin = findPostgresBin();
let server: PostgresServer | undefined;
const drops = new Map<AccountStore, () => Promise<void>>();

async function open(): Promise<AccountStore> {
  server ??= await startPostgres(bin!);
  const { url, drop } = await server.createDatabase();
  const store = await createPostgresStore(url, { maxConnections: 12 });
  const close = store.close.bind(store);
  // Dropping the database is part of closing the store in these tests.
  drops.set(store, drop);
  store.close = async () => {
    await close();
    await drops.get(store)?.();
    drops.delete(store);
  };
  return store;
}

if (bin === undefined) {
  Deno.test({
    name:
      "AccountStore [postgres] skipped: no PostgreSQL binaries in /usr/lib/postgresql/*/bin (set PG_BIN)",
    ignore: true,
    fn() {},
  });
} else {
  storeSuite("postgres", open);

  Deno.test({
    name: "createPostgresStore keeps data across re-connecting and records the schema version",
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      server ??= await startPostgres(bin);
      const { url, drop } = await server.createDatabase();
      try {
        {
          await using store = await createPostgresStore(url);
          await store.createUser({
            id: "u1",
            username: "alice",
            passwordHash: "h",
            roles: ["a"],
            acl: {},
            now: 1,
          });
        }
        await using store = await createPostgresStore(url);
        assert.deepEqual((await store.findUser({ username: "alice" }))?.roles, ["a"]);
      } finally {
        await drop();
      }
    },
  });

  // Last in the file: stops the server the tests above started.
  Deno.test({
    name: "PostgreSQL test server stops by PID",
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await server?.stop();
    },
  });
}
