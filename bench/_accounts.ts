/**
 * The accounts handler both accounts benchmarks drive: an in-memory SQLite
 * store, the benchmark secret, and a login limiter that never refuses, so
 * what is measured is the login itself.
 *
 * @module
 */

import {
  type AccountsHandler,
  type AccountStore,
  createAccountsHandler,
  createLoginLimiter,
  createSqliteStore,
} from "../src/accounts/mod.ts";
import { createTokenVerifier } from "../src/auth/mod.ts";
import { BENCH_SECRET } from "./_config.ts";

/**
 * Creates the handler and its store (close the store when done).
 *
 * @returns The handler and the store.
 */
export function benchAccounts(): { handler: AccountsHandler; store: AccountStore } {
  const store = createSqliteStore(":memory:");
  const open = { burst: 1e9, refillSeconds: 1 };
  const handler = createAccountsHandler({
    store,
    signingKey: { secret: BENCH_SECRET },
    verifier: createTokenVerifier({ secret: BENCH_SECRET }),
    limiter: createLoginLimiter({
      perUsernameAndAddress: open,
      perUsername: open,
      perAddress: open,
    }),
    log: () => {},
  });
  return { handler, store };
}
