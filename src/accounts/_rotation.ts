// The refresh-token rotation decision, shared by every store so that they
// agree by construction: the stores only read the rows and apply the verdict
// inside their own transaction.

import type { RotationResult } from "./store.ts";

/** The stored token row, as far as the decision needs it. */
export interface TokenRow {
  familyId: string;
  userId: string;
  expiresAt: number;
  usedAt: number | null;
  nextHash: string | null;
  nextSealed: string | null;
  familyRevoked: boolean;
}

/** The successor's row, when the presented token has one. */
export interface ChildRow {
  usedAt: number | null;
  expiresAt: number;
}

/**
 * Decides a rotation. A used token is accepted only while it is the
 * immediate parent of the live token and within the grace; any other used
 * token is a reuse, which revokes the family.
 */
export function decideRotation(
  row: TokenRow | undefined,
  child: ChildRow | undefined,
  now: number,
  graceMs: number,
): RotationResult {
  if (row === undefined || row.familyRevoked) return { outcome: "invalid" };
  const { userId, familyId } = row;
  if (row.usedAt === null) {
    if (row.expiresAt <= now) return { outcome: "invalid" };
    return { outcome: "rotated", userId, familyId };
  }
  if (
    now - row.usedAt <= graceMs && row.nextSealed !== null && child !== undefined &&
    child.usedAt === null && child.expiresAt > now
  ) {
    return { outcome: "grace", userId, familyId, sealed: row.nextSealed };
  }
  return { outcome: "reused", userId, familyId };
}
