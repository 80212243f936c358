// A real accounts server for tests: the handler on Deno.serve at 127.0.0.1
// port 0, a real hub (deno transport) sharing its key, an SQLite store in a
// temporary directory, and a clock the test moves.

import { type AccountsHandlerOptions, createAccountsHandler } from "../../src/accounts/handler.ts";
import { createSqliteStore } from "../../src/accounts/sqlite_store.ts";
import { createAccountsAdminHandler } from "../../src/accounts/admin_handler.ts";
import type { AccountStore } from "../../src/accounts/store.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { SECRET, startTestHub, type TestHub } from "../_support/hub.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import type { HubOptions } from "../../src/hub/options.ts";

/** The admin API key of the test server's `/v1/realtime/accounts` routes. */
export const ADMIN_KEY = "test-admin-key-of-some-length";

export interface AccountsServer extends AsyncDisposable {
  base: string;
  hub: TestHub;
  store: AccountStore;
  /** The SQLite file behind `store`. */
  dbPath: string;
  clock: { now: number };
  /** Every `accounts.*` log entry, in order. */
  logs: LogEntry[];
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Real time plus an offset a test can move forward (`clock.now += 11_000`),
 * so the handler's clock and the hub's agree until a test says otherwise.
 */
export function shiftedClock(): { now: number } {
  let offset = 0;
  return {
    get now() {
      return Date.now() + offset;
    },
    set now(value: number) {
      offset = value - Date.now();
    },
  };
}

export async function startAccountsServer(
  options: Partial<AccountsHandlerOptions> = {},
  clock: { now: number } = shiftedClock(),
  hubOptions: Partial<HubOptions> = {},
): Promise<AccountsServer> {
  const dir = await Deno.makeTempDir();
  const dbPath = `${dir}/accounts.db`;
  const store = createSqliteStore(dbPath);
  const hub = await startTestHub("deno", hubOptions);
  const logs: LogEntry[] = [];
  let base = "";
  const handler = createAccountsHandler({
    log: (entry) => logs.push(entry),
    // The page origin a browser test uses: this server's own, named here
    // (the handler never takes it from the request's Host).
    allowedOrigins: (origin) => origin === base,
    store,
    signingKey: { secret: SECRET },
    verifier: createTokenVerifier({ secret: SECRET }),
    hub: hub.hub,
    now: () => clock.now,
    ...options,
  });
  const admin = createAccountsAdminHandler(options.store ?? store, {
    apiKey: ADMIN_KEY,
    // Lenient on exp, so tests show the admin check itself demands it.
    verifier: createTokenVerifier({ secret: SECRET, requireExp: false }),
    hub: hub.hub,
    audit: (entry) => logs.push(entry),
  });
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: resolve },
    async (req, info) =>
      (await admin(req)) ?? (await handler(req, info)) ??
        new Response("not here", { status: 404 }),
  );
  const addr = await promise;
  base = `http://127.0.0.1:${addr.port}`;
  const close = async () => {
    await server.shutdown();
    await hub.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  };
  return {
    base,
    hub,
    store,
    dbPath,
    clock,
    logs,
    post: (path, body, headers = {}) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
        body: body === undefined
          ? undefined
          : typeof body === "string"
          ? body
          : JSON.stringify(body),
      }),
    get: (path, headers = {}) => fetch(`${base}${path}`, { headers }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Signs up and returns the JSON answer (access and refresh tokens). */
export async function signup(
  server: AccountsServer,
  username: string,
  password = "correct horse battery",
): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await server.post("/auth/signup", { username, password });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${await res.text()}`);
  return await res.json();
}
