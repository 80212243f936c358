// The PostgreSQL schema as numbered migrations, the same shape as the
// SQLite one. A released step is never edited: a change is a new step.

import type { Migration } from "./_sqlite_schema.ts";

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        roles TEXT NOT NULL,
        acl TEXT NOT NULL,
        disabled BOOLEAN NOT NULL DEFAULT FALSE,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE refresh_families (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX refresh_families_user ON refresh_families(user_id);
      CREATE TABLE refresh_tokens (
        hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
        parent_hash TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        next_hash TEXT,
        next_sealed TEXT
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
    `,
  },
];
