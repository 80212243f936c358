/**
 * The storage contract of the accounts module. Two implementations pass the
 * same suite: `createSqliteStore` (embedded, the default) and
 * `createPostgresStore` from `@realtime/hub/accounts/postgres` (for several
 * hub processes).
 *
 * Refresh tokens are never stored: only their SHA-256 hashes, plus the
 * replacing token sealed under the token it replaced (so that a client
 * presenting the just-replaced token within the grace period gets the
 * current one back, and nobody reading the database can use it).
 *
 * @module
 */

/** A user as stored. */
export interface UserRecord {
  /** Random, immutable id. */
  readonly id: string;
  /** Normalized (lower-case) unique username; the access token's `sub`. */
  readonly username: string;
  /** The argon2id PHC string (algorithm, parameters, salt and hash). */
  readonly passwordHash: string;
  /** Roles copied into access tokens. */
  readonly roles: readonly string[];
  /** Per-topic capabilities copied into access tokens' `acl` claim. */
  readonly acl: Readonly<Record<string, readonly string[]>>;
  /** A disabled user cannot log in or refresh. */
  readonly disabled: boolean;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds. */
  readonly updatedAt: number;
}

/** A user to create. */
export interface NewUser {
  /** Random id. */
  id: string;
  /** Normalized username. */
  username: string;
  /** The PHC string. */
  passwordHash: string;
  /** Roles. */
  roles: string[];
  /** Capabilities. */
  acl: Record<string, string[]>;
  /** Creation time, epoch milliseconds. */
  now: number;
}

/** Fields of a user to change; absent fields stay. */
export interface UserPatch {
  /** A new PHC string. */
  passwordHash?: string;
  /** New roles. */
  roles?: string[];
  /** New capabilities. */
  acl?: Record<string, string[]>;
  /** Disable or enable. */
  disabled?: boolean;
}

/** The first refresh token of a new session (a new token family). */
export interface NewSession {
  /** Random family id; also the access token's `sid` claim. */
  familyId: string;
  /** The user. */
  userId: string;
  /** SHA-256 hex of the refresh token. */
  tokenHash: string;
  /** When the token stops being accepted, epoch ms. */
  expiresAt: number;
  /** Now, epoch ms. */
  now: number;
}

/** One rotation request: the presented token's hash and its would-be successor. */
export interface Rotation {
  /** SHA-256 hex of the presented token. */
  presentedHash: string;
  /** SHA-256 hex of the successor. */
  nextHash: string;
  /** The successor sealed under the presented token (opaque to the store). */
  nextSealed: string;
  /** The successor's expiry, epoch ms. */
  expiresAt: number;
  /** Now, epoch ms. */
  now: number;
  /** How long after its use a replaced token still yields its successor, ms. */
  graceMs: number;
}

/**
 * The outcome of {@linkcode AccountStore.rotate}:
 * - `rotated`: the presented token was live; it is now used and its successor live.
 * - `grace`: the presented token was replaced less than `graceMs` ago and its
 *   successor is still live; `sealed` is that successor, sealed under the
 *   presented token. Nothing changed.
 * - `reused`: the presented token was used before, outside the grace; the
 *   whole family is now revoked.
 * - `invalid`: unknown, expired, or of a revoked family. Nothing changed.
 */
export type RotationResult =
  | { readonly outcome: "rotated"; readonly userId: string; readonly familyId: string }
  | {
    readonly outcome: "grace";
    readonly userId: string;
    readonly familyId: string;
    readonly sealed: string;
  }
  | { readonly outcome: "reused"; readonly userId: string; readonly familyId: string }
  | { readonly outcome: "invalid" };

/** A user to look up: by id or by normalized username. */
export type UserKey = { readonly id: string } | { readonly username: string };

/** Options of {@linkcode AccountStore.listUsers}. */
export interface ListUsersOptions {
  /** Usernames after this one, in order. @default {""} */
  after?: string;
  /** At most this many. @default {100} */
  limit?: number;
}

/**
 * Where accounts live. Every method is one atomic operation; `rotate` in
 * particular decides and writes in one transaction so that concurrent
 * refreshes of one token leave exactly one live lineage.
 */
export interface AccountStore extends AsyncDisposable {
  /** Creates a user; throws `AccountsError("USERNAME_TAKEN")` when the username exists. */
  createUser(user: NewUser): Promise<UserRecord>;
  /** Finds a user, or `undefined`. */
  findUser(key: UserKey): Promise<UserRecord | undefined>;
  /** Users ordered by username. */
  listUsers(options?: ListUsersOptions): Promise<UserRecord[]>;
  /** Changes a user; `undefined` when there is no such user. */
  updateUser(id: string, patch: UserPatch, now: number): Promise<UserRecord | undefined>;
  /** Stores the first refresh token of a new family. */
  createSession(session: NewSession): Promise<void>;
  /** Rotates a refresh token atomically; see {@linkcode RotationResult}. */
  rotate(rotation: Rotation): Promise<RotationResult>;
  /** Revokes the family of a token (logout); its user and family, or `undefined`. */
  revokeByToken(
    tokenHash: string,
    now: number,
  ): Promise<{ userId: string; familyId: string } | undefined>;
  /** Revokes every live family of a user except `exceptFamily`; returns how many. */
  revokeUserSessions(userId: string, now: number, exceptFamily?: string): Promise<number>;
  /** Whether a family exists, belongs to the user and is not revoked. */
  isSessionLive(familyId: string, userId: string): Promise<boolean>;
  /** Deletes tokens expired before `now` and families without live tokens; returns rows removed. */
  prune(now: number): Promise<number>;
  /** Releases the connection. */
  close(): Promise<void>;
}
