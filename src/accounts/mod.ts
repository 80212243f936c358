/**
 * Accounts for the hub: sign-up and login that issue hub tokens, rotating
 * refresh tokens with reuse detection, and the stores they live in.
 *
 * @example Open the embedded store
 * ```ts
 * import { createSqliteStore } from "@realtime/hub/accounts";
 *
 * await using store = createSqliteStore(":memory:");
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./store.ts";
export * from "./sqlite_store.ts";
export * from "./password.ts";
export * from "./username.ts";
export * from "./login_limiter.ts";
export * from "./handler.ts";
export * from "./default_accounts.ts";
export * from "./admin_handler.ts";
