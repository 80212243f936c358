/**
 * The hub's per-user index: which connections each authenticated user
 * holds, the per-user connection limit, direct sends outside topics, and
 * disconnecting a user.
 *
 * @module
 */

import type { Principal } from "../auth/principal.ts";
import { CloseCode } from "../protocol/codes.ts";
import { Outgoing } from "./codec/outgoing.ts";
import type { Clock } from "./clock.ts";
import type { UserStatus } from "./hub_stats.ts";
import type { LogEntry } from "./log.ts";
import { type HubMetrics, increment } from "./metrics.ts";
import { Multimap } from "./_multimap.ts";

/** What the index needs of a connection. */
export interface UserConnection {
  /** When it was accepted, epoch ms. */
  readonly since: number;
  /** Sends a message outside topics, encoded once per codec. */
  direct(message: Outgoing): void;
  /** Closes it. */
  close(code: number, reason: string): void;
  /** Who it is, once authenticated (for closing one session's connections). */
  readonly principal: Principal | undefined;
}

/** Options of {@linkcode createUsers}. */
export interface UsersOptions {
  /** Most authenticated connections one user may hold. */
  maxConnectionsPerUser: number;
  clock: Clock;
  metrics: HubMetrics;
  audit(entry: LogEntry): void;
}

/** The per-user index of one hub, created by {@linkcode createUsers}. */
export interface Users<C extends UserConnection> {
  /** Adds an authenticated connection, or says why the user may not have another. */
  add(connection: C, principal: Principal): { code: number; reason: string } | undefined;
  /** Removes a connection that closed. */
  delete(connection: C, principal: Principal | undefined): void;
  /** Sends an event outside topics (`topic: null`) to every connection of each user; returns how many. */
  send(users: Iterable<string>, event: string | undefined, payload: unknown): number;
  /** Sends to every connected user; returns how many connections. */
  sendToAll(event: string | undefined, payload: unknown): number;
  /** Closes every connection of a user with 4003; returns how many. */
  disconnect(user: string, reason: string): number;
  /** Closes with 4003 the user's connections whose token carries `sid` `session`; returns how many. */
  disconnectSession(user: string, session: string, reason: string): number;
  /** Closes with 4003 the user's connections whose principal `revoked` answers `true` for; returns how many. */
  disconnectRevoked(
    user: string,
    revoked: (principal: Principal) => boolean,
    reason: string,
  ): number;
  /** Closes with 4003 the user's connections accepted at or before `at` (epoch ms); returns how many. */
  disconnectAcceptedBy(user: string, at: number, reason: string): number;
  /** Whether a user has an authenticated connection. */
  has(user: string): boolean;
  /** Connection status of one user. */
  status(user: string): UserStatus;
  /** Distinct connected users. */
  readonly size: number;
}

/**
 * Creates an empty per-user index.
 *
 * @param options The per-user limit and the hub's clock, metrics and audit log.
 * @returns The index.
 *
 * @example Send to a user's connections
 * ```ts ignore
 * const users = createUsers({ maxConnectionsPerUser: 10, clock, metrics, audit });
 * users.add(connection, principal);
 * users.send(["alice"], "notification", { hi: 1 }); // 1
 * ```
 */
export function createUsers<C extends UserConnection>(options: UsersOptions): Users<C> {
  const { maxConnectionsPerUser, clock, metrics, audit } = options;
  const byUser = new Multimap<C>();

  function send(users: Iterable<string>, event: string | undefined, payload: unknown): number {
    const message = new Outgoing(
      null,
      { data: JSON.stringify(payload), from: null, ts: clock.now(), event },
      undefined,
      undefined,
    );
    let reached = 0;
    for (const user of users) {
      for (const connection of byUser.get(user)) {
        connection.direct(message);
        reached++;
      }
    }
    if (reached > 0) increment(metrics.messagesOut, "message", reached);
    return reached;
  }

  return {
    add(connection, principal) {
      // Anonymous connections are no one's: no per-user limit, not reachable
      // by user sends or revocation (per-IP limits bound them).
      if (principal.anonymous === true) return undefined;
      if (byUser.count(principal.sub) >= maxConnectionsPerUser) {
        increment(metrics.rateLimitHits, "connections_per_user");
        audit({
          level: "warn",
          event: "rate_limited",
          limit: "connections_per_user",
          user: principal.sub,
        });
        return { code: CloseCode.Overloaded, reason: "Too many connections for this user" };
      }
      byUser.add(principal.sub, connection);
      return undefined;
    },
    delete(connection, principal) {
      if (principal !== undefined && principal.anonymous !== true) {
        byUser.delete(principal.sub, connection);
      }
    },
    send,
    sendToAll: (event, payload) => send([...byUser.keys()], event, payload),
    disconnect(user, reason) {
      const connections = byUser.get(user);
      for (const connection of connections) connection.close(CloseCode.Revoked, reason);
      return connections.length;
    },
    disconnectSession(user, session, reason) {
      const connections = byUser.get(user).filter((c) => c.principal?.claims.sid === session);
      for (const connection of connections) connection.close(CloseCode.Revoked, reason);
      return connections.length;
    },
    disconnectRevoked(user, revoked, reason) {
      const connections = byUser.get(user).filter((c) =>
        c.principal !== undefined && revoked(c.principal)
      );
      for (const connection of connections) connection.close(CloseCode.Revoked, reason);
      return connections.length;
    },
    disconnectAcceptedBy(user, at, reason) {
      const connections = byUser.get(user).filter((c) => c.since <= at);
      for (const connection of connections) connection.close(CloseCode.Revoked, reason);
      return connections.length;
    },
    has: (user) => byUser.has(user),
    status(user) {
      const connections = byUser.get(user);
      if (connections.length === 0) return { connected: false, connections: 0, since: null };
      return {
        connected: true,
        connections: connections.length,
        since: Math.min(...connections.map((c) => c.since)),
      };
    },
    get size() {
      return byUser.size;
    },
  };
}
