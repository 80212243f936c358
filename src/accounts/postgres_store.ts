/**
 * The PostgreSQL account store, for several hub processes sharing one set
 * of users and sessions. Built on the `postgres` npm client.
 *
 * @module
 */

import postgres from "postgres";
import { AccountsError } from "./errors.ts";
import { decideRotation } from "./_rotation.ts";
import { checkLimit, toUser, type UserRow } from "./_rows.ts";
import { POSTGRES_MIGRATIONS } from "./_postgres_schema.ts";
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

/** Options of {@linkcode createPostgresStore}. */
export interface PostgresStoreOptions {
  /** Most pooled connections. @default {10} */
  maxConnections?: number;
  /** Seconds to wait for a connection. @default {10} */
  connectTimeoutSeconds?: number;
}

type Sql = postgres.Sql;

// Any fixed number: serializes migrations between processes starting together.
const MIGRATION_LOCK = 716_016;

async function migrate(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`;
    const [{ v }] = await tx`SELECT MAX(version) AS v FROM schema_version`;
    const current = v ?? 0;
    const latest = POSTGRES_MIGRATIONS.at(-1)!.version;
    if (current > latest) {
      throw new Error(
        `Cannot open the account store at schema version ${current}: this code knows up to ${latest}`,
      );
    }
    for (const step of POSTGRES_MIGRATIONS) {
      if (step.version <= current) continue;
      await tx.unsafe(step.sql);
      await tx`INSERT INTO schema_version (version) VALUES (${step.version})`;
    }
  });
}

/**
 * Connects to PostgreSQL and migrates the schema (under an advisory lock,
 * so processes starting together do not race).
 *
 * @param url A `postgres://` connection URL; it is never logged or put in errors.
 * @param options Pool size and connect timeout.
 * @returns The store; `close()` it when done.
 *
 * @example Connect (needs a running server, so not run here)
 * ```ts ignore
 * import { createPostgresStore } from "@realtime/hub/accounts/postgres";
 *
 * await using store = await createPostgresStore("postgres://hub@127.0.0.1:5432/hub");
 * await store.listUsers();
 * ```
 */
export async function createPostgresStore(
  url: string | URL,
  options: PostgresStoreOptions = {},
): Promise<AccountStore> {
  const { maxConnections = 10, connectTimeoutSeconds = 10 } = options;
  const sql = postgres(String(url), {
    max: maxConnections,
    connect_timeout: connectTimeoutSeconds,
    onnotice: () => {},
  });
  try {
    await migrate(sql);
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }
  return new PostgresStore(sql);
}

interface TokenRowSql {
  family_id: string;
  user_id: string;
  expires_at: string | number;
  used_at: string | number | null;
  next_hash: string | null;
  next_sealed: string | null;
  revoked_at: string | number | null;
}

const num = (v: string | number | null): number | null => v === null ? null : Number(v);

class PostgresStore implements AccountStore {
  #sql: Sql;
  #closed = false;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async createUser(user: NewUser): Promise<UserRecord> {
    try {
      const [row] = await this.#sql<UserRow[]>`
        INSERT INTO users (id, username, password_hash, roles, acl, disabled, created_at, updated_at)
        VALUES (${user.id}, ${user.username}, ${user.passwordHash}, ${JSON.stringify(user.roles)},
                ${JSON.stringify(user.acl)}, FALSE, ${user.now}, ${user.now})
        RETURNING *`;
      return toUser(row);
    } catch (error) {
      if ((error as { code?: string }).code === "23505") {
        throw new AccountsError("USERNAME_TAKEN", `Username '${user.username}' is taken`);
      }
      throw error;
    }
  }

  async findUser(key: UserKey): Promise<UserRecord | undefined> {
    const rows = "id" in key
      ? await this.#sql<UserRow[]>`SELECT * FROM users WHERE id = ${key.id}`
      : await this.#sql<UserRow[]>`SELECT * FROM users WHERE username = ${key.username}`;
    return rows.length === 0 ? undefined : toUser(rows[0]);
  }

  async listUsers(options: ListUsersOptions = {}): Promise<UserRecord[]> {
    const limit = checkLimit(options.limit);
    const rows = await this.#sql<UserRow[]>`
      SELECT * FROM users WHERE username > ${options.after ?? ""}
      ORDER BY username COLLATE "C" LIMIT ${limit}`;
    return rows.map(toUser);
  }

  async updateUser(id: string, patch: UserPatch, now: number): Promise<UserRecord | undefined> {
    const rows = await this.#sql<UserRow[]>`
      UPDATE users SET
        password_hash = COALESCE(${patch.passwordHash ?? null}, password_hash),
        roles = COALESCE(${patch.roles === undefined ? null : JSON.stringify(patch.roles)}, roles),
        acl = COALESCE(${patch.acl === undefined ? null : JSON.stringify(patch.acl)}, acl),
        disabled = COALESCE(${patch.disabled ?? null}::boolean, disabled),
        updated_at = ${now}
      WHERE id = ${id}
      RETURNING *`;
    return rows.length === 0 ? undefined : toUser(rows[0]);
  }

  async createSession(session: NewSession): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`INSERT INTO refresh_families (id, user_id, created_at)
               VALUES (${session.familyId}, ${session.userId}, ${session.now})`;
      await tx`INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at)
               VALUES (${session.tokenHash}, ${session.familyId}, ${session.now}, ${session.expiresAt})`;
    });
  }

  async rotate(rotation: Rotation): Promise<RotationResult> {
    const { presentedHash, nextHash, nextSealed, expiresAt, now, graceMs } = rotation;
    return await this.#sql.begin(async (tx) => {
      // Row locks make concurrent rotations of one token queue here; each
      // then sees the previous one's committed successor.
      const rows = await tx<TokenRowSql[]>`
        SELECT t.family_id, f.user_id, t.expires_at, t.used_at, t.next_hash, t.next_sealed,
               f.revoked_at
        FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
        WHERE t.hash = ${presentedHash}
        FOR UPDATE OF t, f`;
      const row = rows[0];
      let child: { usedAt: number | null; expiresAt: number } | undefined;
      if (row?.next_hash != null) {
        const [c] = await tx<{ used_at: string | null; expires_at: string }[]>`
          SELECT used_at, expires_at FROM refresh_tokens WHERE hash = ${row.next_hash}`;
        if (c !== undefined) child = { usedAt: num(c.used_at), expiresAt: Number(c.expires_at) };
      }
      const verdict = decideRotation(
        row === undefined ? undefined : {
          familyId: row.family_id,
          userId: row.user_id,
          expiresAt: Number(row.expires_at),
          usedAt: num(row.used_at),
          nextHash: row.next_hash,
          nextSealed: row.next_sealed,
          familyRevoked: row.revoked_at !== null,
        },
        child,
        now,
        graceMs,
      );
      if (verdict.outcome === "rotated") {
        await tx`UPDATE refresh_tokens SET used_at = ${now}, next_hash = ${nextHash},
                   next_sealed = ${nextSealed} WHERE hash = ${presentedHash}`;
        await tx`INSERT INTO refresh_tokens (hash, family_id, parent_hash, created_at, expires_at)
                 VALUES (${nextHash}, ${verdict.familyId}, ${presentedHash}, ${now}, ${expiresAt})`;
      } else if (verdict.outcome === "reused") {
        await tx`UPDATE refresh_families SET revoked_at = ${now}
                 WHERE id = ${verdict.familyId} AND revoked_at IS NULL`;
      }
      return verdict;
    });
  }

  async revokeByToken(
    tokenHash: string,
    now: number,
  ): Promise<{ userId: string; familyId: string } | undefined> {
    const rows = await this.#sql<{ id: string; user_id: string }[]>`
      UPDATE refresh_families f SET revoked_at = COALESCE(f.revoked_at, ${now})
      FROM refresh_tokens t WHERE t.hash = ${tokenHash} AND f.id = t.family_id
      RETURNING f.id, f.user_id`;
    return rows.length === 0 ? undefined : { userId: rows[0].user_id, familyId: rows[0].id };
  }

  async revokeUserSessions(userId: string, now: number, exceptFamily?: string): Promise<number> {
    const result = await this.#sql`
      UPDATE refresh_families SET revoked_at = ${now}
      WHERE user_id = ${userId} AND revoked_at IS NULL AND id <> ${exceptFamily ?? ""}`;
    return result.count;
  }

  async isSessionLive(familyId: string, userId: string): Promise<boolean> {
    const rows = await this.#sql`
      SELECT 1 FROM refresh_families
      WHERE id = ${familyId} AND user_id = ${userId} AND revoked_at IS NULL`;
    return rows.length > 0;
  }

  async prune(now: number): Promise<number> {
    return await this.#sql.begin(async (tx) => {
      const tokens = await tx`DELETE FROM refresh_tokens WHERE expires_at <= ${now}`;
      const families = await tx`
        DELETE FROM refresh_families WHERE id NOT IN
          (SELECT family_id FROM refresh_tokens WHERE used_at IS NULL)`;
      return tokens.count + families.count;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 5 });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
