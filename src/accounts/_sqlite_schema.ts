// The SQLite schema as numbered migrations. A migration is never edited once
// released: a change is a new step. `schema_version` holds the last step run.

/** One migration step. */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        roles TEXT NOT NULL,
        acl TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE refresh_families (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE INDEX refresh_families_user ON refresh_families(user_id);
      CREATE TABLE refresh_tokens (
        hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
        parent_hash TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        next_hash TEXT,
        next_sealed TEXT
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
    `,
  },
];
