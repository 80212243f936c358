// Row <-> record conversion shared by the SQL stores.

import type { UserRecord } from "./store.ts";

/** A `users` row as both drivers return it (numbers may arrive as bigint or string). */
export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  roles: string;
  acl: string;
  disabled: number | boolean;
  created_at: number | bigint | string;
  updated_at: number | bigint | string;
}

export function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    roles: JSON.parse(row.roles),
    acl: JSON.parse(row.acl),
    disabled: Boolean(row.disabled),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function checkLimit(limit: number | undefined): number {
  const n = limit ?? 100;
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000) {
    throw new RangeError(`Cannot list users with limit ${n}: expected 1 to 1000`);
  }
  return n;
}
