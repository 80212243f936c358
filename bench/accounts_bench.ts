/**
 * Accounts micro-benchmarks: one argon2id hash at the OWASP parameters
 * (m=19456 KiB, t=2, p=1; the target is at most 250 ms on one core), and a
 * whole login through the handler in-process (JSON parse, store lookup,
 * verify, session row, token mint); logins/s per core is 1 / its average.
 *
 * Run: `deno bench --allow-env bench/accounts_bench.ts`.
 *
 * @module
 */

import { hashPassword, verifyPassword } from "../src/accounts/mod.ts";
import { benchAccounts } from "./_accounts.ts";

const PASSWORD = "correct horse battery staple";
const phc = await hashPassword(PASSWORD);
// Few iterations: each takes tens of milliseconds.
const ITERATIONS = { n: 30, warmup: 3 };
let sink: unknown;

Deno.bench({
  name: "argon2id hash (m=19456 KiB, t=2, p=1)",
  group: "accounts",
  ...ITERATIONS,
  fn: async () => {
    sink = await hashPassword(PASSWORD);
  },
});

Deno.bench({
  name: "argon2id verify (m=19456 KiB, t=2, p=1)",
  group: "accounts",
  ...ITERATIONS,
  fn: async () => {
    sink = await verifyPassword(PASSWORD, phc);
  },
});

const { handler, store } = benchAccounts();
const signup = await handler(
  new Request("http://localhost/auth/signup", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "alice", password: PASSWORD }),
  }),
);
if (signup?.status !== 201) throw new Error(`sign-up failed: ${signup?.status}`);

Deno.bench({
  name: "login through the handler (in-process, SQLite in memory)",
  group: "accounts",
  ...ITERATIONS,
  fn: async () => {
    const res = await handler(
      new Request("http://localhost/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "alice", password: PASSWORD }),
      }),
    );
    sink = await res?.json();
  },
});

globalThis.addEventListener("unload", () => {
  void sink;
  void store.close();
});
