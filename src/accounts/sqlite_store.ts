/**
 * The embedded account store on `node:sqlite`: one file, no server, created
 * readable by its owner only (mode 0600), schema migrated in code.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { AccountsError } from "./errors.ts";
import { decideRotation, type TokenRow } from "./_rotation.ts";
import { checkLimit, toUser, type UserRow } from "./_rows.ts";
import { SQLITE_MIGRATIONS } from "./_sqlite_schema.ts";
import type {
  AccountStore,
  ListUsersOptions,
  NewSession,
  NewUser,
  Rotation,
  RotationResult,
  UserKey,
  UserPatch,
  UserRecord,
} from "./store.ts";

/** Options of {@linkcode createSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * How long a write waits for another process's lock, ms.
   *
   * @default {5000}
   */
  busyTimeoutMs?: number;
}

/** The schema version this code migrates to. */
export const SQLITE_SCHEMA_VERSION: number = SQLITE_MIGRATIONS.at(-1)!.version;

function createOwnerOnly(path: string): void {
  const slash = path.lastIndexOf("/");
  if (slash > 0) Deno.mkdirSync(path.slice(0, slash), { recursive: true, mode: 0o700 });
  // Created before SQLite opens it, so it never exists with a wider mode.
  Deno.openSync(path, { create: true, write: true, mode: 0o600 }).close();
  if (Deno.build.os !== "windows") Deno.chmodSync(path, 0o600);
}

function migrate(db: DatabaseSync, path: string): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = db.prepare("SELECT MAX(version) AS v FROM schema_version").get() as
    | { v: number | null }
    | undefined;
  const current = row?.v ?? 0;
  if (current > SQLITE_SCHEMA_VERSION) {
    throw new Error(
      `Cannot open the account store '${path}' at schema version ${current}: this code knows up to ${SQLITE_SCHEMA_VERSION}`,
    );
  }
  for (const step of SQLITE_MIGRATIONS) {
    if (step.version <= current) continue;
    transaction(db, () => {
      db.exec(step.sql);
      db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(step.version);
    });
  }
}

function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * Opens (creating if needed) the SQLite account store at `path`. A new file
 * is created with mode 0600 in a directory created with mode 0700.
 *
 * @param path The database file, e.g. `.realtime/accounts.db`, or `:memory:`.
 * @param options Lock wait.
 * @returns The store; `close()` it when done.
 *
 * @example Create a user and read it back
 * ```ts
 * import { createSqliteStore } from "@realtime/hub/accounts";
 * import assert from "node:assert/strict";
 *
 * await using store = createSqliteStore(":memory:");
 * await store.createUser({
 *   id: "u1", username: "alice", passwordHash: "$argon2id$...", roles: [], acl: {}, now: 0,
 * });
 * assert.equal((await store.findUser({ username: "alice" }))?.id, "u1");
 * ```
 */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): AccountStore {
  if (typeof path !== "string" || path.length === 0) {
    throw new TypeError("Cannot open an account store as 'path' is not a non-empty string");
  }
  const { busyTimeoutMs = 5000 } = options;
  if (path !== ":memory:") createOwnerOnly(path);
  const db = new DatabaseSync(path);
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.exec("PRAGMA foreign_keys = ON");
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    migrate(db, path);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db);
}

class SqliteStore implements AccountStore {
  #db: DatabaseSync;
  #closed = false;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #user(sql: string, ...params: (string | number)[]): UserRecord | undefined {
    const row = this.#db.prepare(sql).get(...params) as UserRow | undefined;
    return row === undefined ? undefined : toUser(row);
  }

  createUser(user: NewUser): Promise<UserRecord> {
    try {
      this.#db.prepare(
        `INSERT INTO users (id, username, password_hash, roles, acl, disabled, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
      ).run(
        user.id,
        user.username,
        user.passwordHash,
        JSON.stringify(user.roles),
        JSON.stringify(user.acl),
        user.now,
        user.now,
      );
    } catch (error) {
      if (String((error as Error).message).includes("UNIQUE constraint failed: users.username")) {
        return Promise.reject(
          new AccountsError("USERNAME_TAKEN", `Username '${user.username}' is taken`),
        );
      }
      return Promise.reject(error);
    }
    return Promise.resolve(this.#user("SELECT * FROM users WHERE id = ?", user.id)!);
  }

  findUser(key: UserKey): Promise<UserRecord | undefined> {
    return Promise.resolve(
      "id" in key
        ? this.#user("SELECT * FROM users WHERE id = ?", key.id)
        : this.#user("SELECT * FROM users WHERE username = ?", key.username),
    );
  }

  listUsers(options: ListUsersOptions = {}): Promise<UserRecord[]> {
    const limit = checkLimit(options.limit);
    const rows = this.#db.prepare(
      "SELECT * FROM users WHERE username > ? ORDER BY username LIMIT ?",
    ).all(options.after ?? "", limit) as unknown as UserRow[];
    return Promise.resolve(rows.map(toUser));
  }

  updateUser(id: string, patch: UserPatch, now: number): Promise<UserRecord | undefined> {
    const sets: string[] = [];
    const params: (string | number)[] = [];
    if (patch.passwordHash !== undefined) {
      sets.push("password_hash = ?");
      params.push(patch.passwordHash);
    }
    if (patch.roles !== undefined) {
      sets.push("roles = ?");
      params.push(JSON.stringify(patch.roles));
    }
    if (patch.acl !== undefined) {
      sets.push("acl = ?");
      params.push(JSON.stringify(patch.acl));
    }
    if (patch.disabled !== undefined) {
      sets.push("disabled = ?");
      params.push(patch.disabled ? 1 : 0);
    }
    sets.push("updated_at = ?");
    params.push(now, id);
    this.#db.prepare(`UPDATE users SET ${sets.join(", ")} WHERE id = ?`).run(...params);
    return Promise.resolve(this.#user("SELECT * FROM users WHERE id = ?", id));
  }

  createSession(session: NewSession): Promise<void> {
    transaction(this.#db, () => {
      this.#db.prepare(
        "INSERT INTO refresh_families (id, user_id, created_at) VALUES (?, ?, ?)",
      ).run(session.familyId, session.userId, session.now);
      this.#db.prepare(
        `INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at)
         VALUES (?, ?, ?, ?)`,
      ).run(session.tokenHash, session.familyId, session.now, session.expiresAt);
    });
    return Promise.resolve();
  }

  rotate(rotation: Rotation): Promise<RotationResult> {
    const { presentedHash, nextHash, nextSealed, expiresAt, now, graceMs } = rotation;
    const db = this.#db;
    return Promise.resolve(transaction(db, () => {
      // The token row as decideRotation reads it, but SQLite answers the boolean as 0 or 1.
      const row = db.prepare(
        `SELECT t.family_id AS familyId, f.user_id AS userId, t.expires_at AS expiresAt,
                t.used_at AS usedAt, t.next_hash AS nextHash, t.next_sealed AS nextSealed,
                f.revoked_at IS NOT NULL AS familyRevoked
         FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
         WHERE t.hash = ?`,
      ).get(presentedHash) as
        | (Omit<TokenRow, "familyRevoked"> & { familyRevoked: number })
        | undefined;
      const child = row?.nextHash == null ? undefined : db.prepare(
        "SELECT used_at AS usedAt, expires_at AS expiresAt FROM refresh_tokens WHERE hash = ?",
      ).get(row.nextHash) as { usedAt: number | null; expiresAt: number } | undefined;
      const verdict = decideRotation(
        row === undefined ? undefined : { ...row, familyRevoked: row.familyRevoked === 1 },
        child,
        now,
        graceMs,
      );
      if (verdict.outcome === "rotated") {
        db.prepare(
          "UPDATE refresh_tokens SET used_at = ?, next_hash = ?, next_sealed = ? WHERE hash = ?",
        ).run(now, nextHash, nextSealed, presentedHash);
        db.prepare(
          `INSERT INTO refresh_tokens (hash, family_id, parent_hash, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?)`,
        ).run(nextHash, verdict.familyId, presentedHash, now, expiresAt);
      } else if (verdict.outcome === "reused") {
        db.prepare(
          "UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        ).run(now, verdict.familyId);
      }
      return verdict;
    }));
  }

  revokeByToken(
    tokenHash: string,
    now: number,
  ): Promise<{ userId: string; familyId: string } | undefined> {
    const db = this.#db;
    return Promise.resolve(transaction(db, () => {
      const row = db.prepare(
        `SELECT f.id AS familyId, f.user_id AS userId FROM refresh_tokens t
         JOIN refresh_families f ON f.id = t.family_id WHERE t.hash = ?`,
      ).get(tokenHash) as { familyId: string; userId: string } | undefined;
      if (row === undefined) return undefined;
      db.prepare(
        "UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
      ).run(now, row.familyId);
      return { userId: row.userId, familyId: row.familyId };
    }));
  }

  revokeUserSessions(userId: string, now: number, exceptFamily?: string): Promise<number> {
    const result = this.#db.prepare(
      `UPDATE refresh_families SET revoked_at = ?
       WHERE user_id = ? AND revoked_at IS NULL AND id != ?`,
    ).run(now, userId, exceptFamily ?? "");
    return Promise.resolve(Number(result.changes));
  }

  isSessionLive(familyId: string, userId: string): Promise<boolean> {
    const row = this.#db.prepare(
      "SELECT 1 AS ok FROM refresh_families WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
    ).get(familyId, userId);
    return Promise.resolve(row !== undefined);
  }

  prune(now: number): Promise<number> {
    const db = this.#db;
    return Promise.resolve(transaction(db, () => {
      const tokens = db.prepare("DELETE FROM refresh_tokens WHERE expires_at <= ?").run(now);
      const families = db.prepare(
        `DELETE FROM refresh_families WHERE id NOT IN
           (SELECT family_id FROM refresh_tokens WHERE used_at IS NULL)`,
      ).run();
      return Number(tokens.changes) + Number(families.changes);
    }));
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
