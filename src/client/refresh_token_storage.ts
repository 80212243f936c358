/**
 * Where an {@linkcode AccountsSession} outside a browser keeps its refresh
 * token. Browsers keep it in an `HttpOnly` cookie that scripts never see;
 * a Deno service or CLI hands the session a storage instead.
 *
 * @module
 */

/**
 * Keeps one refresh token. Each method may be synchronous or return a
 * promise, so a file, a keychain or a database row fits.
 *
 * @example A file only its owner can read, for a Deno service
 * ```ts
 * import type { RefreshTokenStorage } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * function fileStorage(path: string): RefreshTokenStorage {
 *   return {
 *     get: () => Deno.readTextFile(path).catch(() => undefined),
 *     set: (token) => Deno.writeTextFile(path, token, { mode: 0o600 }),
 *     delete: () => Deno.remove(path).catch(() => {}),
 *   };
 * }
 *
 * const path = `${await Deno.makeTempDir()}/refresh-token`;
 * const storage = fileStorage(path);
 * await storage.set("a-refresh-token");
 * assert.equal(await storage.get(), "a-refresh-token");
 * await storage.delete();
 * assert.equal(await storage.get(), undefined);
 * ```
 */
export interface RefreshTokenStorage {
  /** The stored token, or `undefined` when there is none. */
  get(): string | undefined | Promise<string | undefined>;
  /** Replaces the stored token (after every login and rotation). */
  set(token: string): void | Promise<void>;
  /** Forgets the token (on logout, or when the server refused it). */
  delete(): void | Promise<void>;
}

/**
 * A storage that keeps the refresh token in memory only: the session ends
 * with the process.
 *
 * @returns An empty storage.
 *
 * @example Keep the token in memory
 * ```ts
 * import { memoryRefreshTokenStorage } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * const storage = memoryRefreshTokenStorage();
 * storage.set("a-refresh-token");
 * assert.equal(storage.get(), "a-refresh-token");
 * storage.delete();
 * assert.equal(storage.get(), undefined);
 * ```
 */
export function memoryRefreshTokenStorage(): RefreshTokenStorage {
  let token: string | undefined;
  return {
    get: () => token,
    set: (next) => void (token = next),
    delete: () => void (token = undefined),
  };
}
