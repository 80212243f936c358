/**
 * The hub's counts as the admin API reads them: one user's connection
 * status and a snapshot of the hub. Their own file, below `hub.ts`, so
 * `users.ts` and `cluster.ts` need not import the hub.
 *
 * @module
 */

/** Connection status of one user, from {@linkcode Hub.userStatus}. */
export interface UserStatus {
  /** Whether the user has at least one authenticated connection. */
  connected: boolean;
  /** How many. */
  connections: number;
  /** When the oldest of them was accepted (epoch ms), or `null`. */
  since: number | null;
}

/** A snapshot from {@linkcode Hub.stats}. */
export interface HubStats {
  /** Open connections (authenticated or not). */
  connections: number;
  /** Distinct authenticated users. */
  users: number;
  /** Distinct topics and patterns with subscribers. */
  topics: number;
  /** Total subscriptions. */
  subscriptions: number;
  /** Frames received per second, averaged over the last 10 s. */
  messagesInPerSecond: number;
  /** Frames sent per second, averaged over the last 10 s. */
  messagesOutPerSecond: number;
  /** Seconds since the hub was created. */
  uptimeSeconds: number;
}
