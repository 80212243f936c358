/**
 * Revoking a user's tokens: a not-before cut-off per user, checked after
 * a token's signature and claims.
 *
 * Cut-offs are held in milliseconds. A token's `iat` is in seconds, so a
 * token issued in the same second as a revocation cannot be told apart from
 * one issued before it and is refused. A minter that knows better (the
 * accounts module) adds {@linkcode ISSUED_AT_MS_CLAIM}, the issue time in
 * milliseconds; it is used only when it falls inside the `iat` second, so
 * it can sharpen `iat` but never move it.
 *
 * @module
 */

import { AuthError } from "./errors.ts";
import type { Principal } from "./principal.ts";

/**
 * The claim holding a token's issue time in epoch milliseconds, read only
 * when `Math.floor(iat_ms / 1000) === iat`.
 *
 * @example A token issued after a revocation in the same second
 * ```ts
 * import { createRevocations, ISSUED_AT_MS_CLAIM } from "@realtime/hub/auth";
 * import assert from "node:assert/strict";
 *
 * const revocations = createRevocations({ now: () => 1_800_000_000_400 });
 * revocations.revoke("alice");
 * const claims = { iat: 1_800_000_000, [ISSUED_AT_MS_CLAIM]: 1_800_000_000_700 };
 * assert.equal(revocations.isRevoked({ sub: "alice", roles: [], claims, expiresAt: null }), false);
 * ```
 */
export const ISSUED_AT_MS_CLAIM = "iat_ms";

/** Options of {@linkcode createRevocations}. */
export interface RevocationOptions {
  /**
   * How long a cut-off is kept, in milliseconds. Safe only when no token
   * issued before the cut-off can still be valid after this long: that is,
   * when every token must carry `exp` and live at most this long (the
   * verifier's `maxTokenLifetimeSec`, plus its clock tolerance). By default
   * a cut-off is kept for the whole life of the list.
   *
   * @default {Infinity}
   */
  keepMs?: number;
  /** The clock, in epoch milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Options of {@linkcode Revocations.revoke} and {@linkcode Revocations.revokeSession}. */
export interface RevokeOptions {
  /**
   * The cut-off, in epoch milliseconds: a revocation made elsewhere (another
   * hub, read back from the engine) keeps the time it was made. A cut-off
   * never moves backward: an older one than held changes nothing.
   *
   * @default {now()}
   */
  at?: number;
}

/** The revoked users; created by {@linkcode createRevocations}. */
export interface Revocations {
  /**
   * Refuses, from now on, every token of `user` issued at or before now.
   *
   * @param user The subject whose tokens to revoke.
   * @param options When the cut-off was made, if not now.
   */
  revoke(user: string, options?: RevokeOptions): void;
  /**
   * Refuses, from now on, every token of `user` whose `sid` claim is
   * `session`, whenever issued: a session that ended (a logout) mints no
   * more tokens, so none of its tokens may come back.
   *
   * @param user The subject.
   * @param session The session id (the `sid` claim).
   * @param options When the session ended, if not now.
   */
  revokeSession(user: string, session: string, options?: RevokeOptions): void;
  /**
   * Whether a verified principal's token was issued at or before its
   * user's cut-off. A token without `iat` counts as issued before any
   * cut-off; one with a consistent `iat_ms` is compared to the millisecond.
   * A token of a revoked session (its `sid`) is revoked whatever its `iat`.
   *
   * @param principal A principal from a verifier.
   * @returns `true` when the token is revoked.
   */
  isRevoked(principal: Principal): boolean;
  /**
   * Throws when {@linkcode Revocations.isRevoked} is `true`.
   *
   * @param principal A principal from a verifier.
   * @throws {AuthError} With reason `revoked`.
   */
  check(principal: Principal): void;
  /** How many cut-offs and ended sessions are held. */
  readonly size: number;
}

/**
 * Creates an empty revocation list. One cut-off is held per revoked user (a
 * new revocation moves it forward); cut-offs older than `keepMs` are
 * dropped as they are met and whenever a revocation is added.
 *
 * @param options How long cut-offs are kept, and the clock.
 * @returns The list.
 * @throws {RangeError} When `keepMs` is not a positive number.
 *
 * @example Revoke a user's tokens issued so far
 * ```ts
 * import { createRevocations } from "@realtime/hub/auth";
 * import assert from "node:assert/strict";
 *
 * let now = 1_800_000_000_000;
 * const revocations = createRevocations({ now: () => now });
 * const issued = (iat: number) => ({ sub: "ops2", roles: [], claims: { iat }, expiresAt: null });
 * revocations.revoke("ops2");
 * assert.equal(revocations.isRevoked(issued(now / 1000 - 60)), true);
 * now += 5_000;
 * assert.equal(revocations.isRevoked(issued(now / 1000)), false);
 * ```
 */
export function createRevocations(options: RevocationOptions = {}): Revocations {
  const { keepMs = Infinity, now = Date.now } = options;
  if (typeof keepMs !== "number" || !(keepMs > 0)) {
    throw new RangeError(
      `Cannot create revocations as 'keepMs' is ${keepMs}: expected a positive number of milliseconds`,
    );
  }
  const cutOffs = new Map<string, number>();
  // Ended sessions, keyed by user and sid; kept as long as cut-offs are.
  const sessions = new Map<string, number>();
  const sessionKey = (user: string, sid: string) => `${user.length}:${user}${sid}`;

  function prune(at: number): void {
    if (keepMs === Infinity) return;
    for (const map of [cutOffs, sessions]) {
      for (const [key, since] of map) if (at - since > keepMs) map.delete(key);
    }
  }

  function sessionRevoked(principal: Principal): boolean {
    const sid = principal.claims.sid;
    if (typeof sid !== "string" || sessions.size === 0) return false;
    const key = sessionKey(principal.sub, sid);
    const at = sessions.get(key);
    if (at === undefined) return false;
    if (now() - at > keepMs) {
      sessions.delete(key);
      return false;
    }
    return true;
  }

  function isRevoked(principal: Principal): boolean {
    if (sessionRevoked(principal)) return true;
    const since = cutOffs.get(principal.sub);
    if (since === undefined) return false;
    if (now() - since > keepMs) {
      cutOffs.delete(principal.sub);
      return false;
    }
    const issued = issuedAtMs(principal.claims);
    return !(issued !== undefined && issued > since);
  }

  /** Sets a cut-off unless a later one is held; a stale one (past `keepMs`) is not kept. */
  function put(map: Map<string, number>, key: string, at: number): void {
    const current = now();
    prune(current);
    const held = map.get(key);
    if (held !== undefined && held >= at) return;
    if (current - at > keepMs) return;
    // Delete first so the map's order stays (mostly) oldest first.
    map.delete(key);
    map.set(key, at);
  }

  return {
    revoke(user, revokeOptions = {}) {
      put(cutOffs, user, revokeOptions.at ?? now());
    },
    revokeSession(user, session, revokeOptions = {}) {
      put(sessions, sessionKey(user, session), revokeOptions.at ?? now());
    },
    isRevoked,
    check(principal) {
      if (isRevoked(principal)) throw new AuthError("revoked");
    },
    get size() {
      return cutOffs.size + sessions.size;
    },
  };
}

/** The issue time in ms: `iat_ms` when it lies inside the `iat` second, else `iat` * 1000. */
function issuedAtMs(claims: Readonly<Record<string, unknown>>): number | undefined {
  const iat = claims.iat;
  if (typeof iat !== "number" || !Number.isFinite(iat)) return undefined;
  const ms = claims[ISSUED_AT_MS_CLAIM];
  return typeof ms === "number" && Number.isSafeInteger(ms) && Math.floor(ms / 1000) === iat
    ? ms
    : iat * 1000;
}
