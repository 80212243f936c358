/**
 * The hub's cluster-wide admin answers: a direct send's `reached`, a
 * disconnect's or revocation's `disconnected`, a user's connections, a
 * topic's subscribers, the totals and the connection listing, each asked of
 * every hub of the engine over its control channel (`cluster_asks.ts`) and
 * answered per node, with the hubs that did not answer in time named.
 *
 * @module
 */

import { validatePattern } from "../topic/topic.ts";
import type { ControlAsk, ControlCommand } from "../engine/engine.ts";
import { EngineError } from "../engine/errors.ts";
import type { ClusterAnswer, ClusterAsks, Question } from "./cluster_asks.ts";
import { type ConnectionPage, type ListQuery, MAX_LIST_LIMIT } from "./inspect.ts";
import type { HubStats, UserStatus } from "./hub_stats.ts";

export type { ClusterAnswer } from "./cluster_asks.ts";

/**
 * The cluster-wide operations of a hub (`hub.cluster`). Each answers per
 * node (`nodes`, by node id) and names the hubs of the node list that did
 * not answer within `node.answerTimeoutMs` (`missing`). An action (send,
 * disconnect, revoke) happens on this hub first; when the engine cannot
 * carry it to the others it rejects with an `EngineError`. A read answers
 * `scope: "local"` with `error` instead.
 *
 * @example Disconnect a user on every hub
 * ```ts ignore
 * const answer = await hub.cluster.disconnectUser("mallory");
 * const closed = Object.values(answer.nodes).reduce((a, b) => a + b, 0);
 * console.log(`${closed} closed; no answer from ${answer.missing.join(", ") || "none"}`);
 * ```
 */
export interface ClusterView {
  /** Sends an event to a user's connections on every hub; answers how many each reached. */
  sendToUser(user: string, event: string, payload: unknown): Promise<ClusterAnswer<number>>;
  /** Sends an event (or none) to several users on every hub; answers how many each reached. */
  sendToUsers(
    users: readonly string[],
    event: string | undefined,
    payload: unknown,
  ): Promise<ClusterAnswer<number>>;
  /** Closes a user's connections (4003) on every hub; answers how many each closed. */
  disconnectUser(user: string, reason?: string): Promise<ClusterAnswer<number>>;
  /** Closes one connection (4003) on whichever hub holds it; answers 1 from that hub. */
  disconnectConnection(connection: string, reason?: string): Promise<ClusterAnswer<number>>;
  /** `hub.revokeEverywhere`, answering how many connections each hub closed. */
  revoke(target: { user: string; session?: string }): Promise<ClusterAnswer<number>>;
  /** A user's connections on every hub. */
  userStatus(user: string): Promise<ClusterAnswer<UserStatus>>;
  /** Subscribers of a topic or pattern (as subscribed) on every hub. */
  subscriberCount(topicOrPattern: string): Promise<ClusterAnswer<number>>;
  /** Every hub's counts. */
  stats(): Promise<ClusterAnswer<HubStats>>;
  /** A page of every hub's connections, or of one hub's (`node`). */
  listConnections(query?: ListQuery, node?: string): Promise<ClusterAnswer<ConnectionPage>>;
}

/** What the cluster view does on this hub. */
export interface ClusterLocal {
  /** This hub's node id. */
  readonly nodeId: string;
  readonly asks: ClusterAsks;
  /** Sends a command through the engine. */
  send(command: ControlCommand): Promise<void>;
  sendToUsers(users: readonly string[], event: string | undefined, data: string): number;
  disconnectUser(user: string, reason: string): number;
  disconnectConnection(connection: string, reason: string): number;
  /** Revokes here (the time it was made, and how long the cut-off matters); returns connections closed. */
  revoke(target: { user: string; session?: string }, at: number): number;
  readonly revocationKeepMs: number;
  now(): number;
  userStatus(user: string): UserStatus;
  subscriberCount(topicOrPattern: string): number;
  stats(): HubStats;
  listConnections(query: ListQuery): ConnectionPage;
  /** Logs an answer that could not be sent. */
  failed(what: string, error: unknown): void;
}

/**
 * How long a networked engine keeps a disconnect for a hub that missed it
 * (its control connection was down): 5 minutes.
 */
export const DISCONNECT_KEEP_MS = 300_000;

const count = (body: unknown): number | undefined =>
  Number.isSafeInteger(body) && (body as number) >= 0 ? body as number : undefined;

function readStatus(body: unknown): UserStatus | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { connections, since } = body as Record<string, unknown>;
  const n = count(connections);
  if (n === undefined || (since !== null && typeof since !== "number")) return undefined;
  return { connected: n > 0, connections: n, since: since as number | null };
}

const STAT_FIELDS = [
  "connections",
  "users",
  "topics",
  "subscriptions",
  "messagesInPerSecond",
  "messagesOutPerSecond",
  "uptimeSeconds",
] as const;

function readStats(body: unknown): HubStats | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const raw = body as Record<string, unknown>;
  const stats: Record<string, number> = {};
  for (const field of STAT_FIELDS) {
    const value = raw[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return undefined;
    stats[field] = value;
  }
  return stats as unknown as HubStats;
}

function readPage(body: unknown): ConnectionPage | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { total, matched, connections } = body as Record<string, unknown>;
  if (count(total) === undefined || count(matched) === undefined) return undefined;
  if (!Array.isArray(connections) || connections.length > MAX_LIST_LIMIT) return undefined;
  const rows = connections.filter((c) =>
    typeof c === "object" && c !== null && typeof c.id === "string" &&
    typeof c.since === "number"
  );
  return { total: total as number, matched: matched as number, connections: rows };
}

/** The query a listing sends, with only the fields given. */
function listQueryOf(raw: Readonly<Record<string, unknown>>): ListQuery {
  const query: { search?: string; offset?: number; limit?: number } = {};
  if (typeof raw.search === "string") query.search = raw.search;
  if (typeof raw.offset === "number") query.offset = raw.offset;
  if (typeof raw.limit === "number") query.limit = raw.limit;
  return query;
}

/**
 * This hub's answer to another hub's `query` command, or `undefined` when
 * the question is unknown or malformed (it came through the engine).
 */
function answerQuery(
  local: ClusterLocal,
  query: Readonly<Record<string, unknown>>,
): unknown {
  try {
    switch (query.kind) {
      case "user_status":
        if (typeof query.user !== "string" || query.user.length > 256) return undefined;
        return local.userStatus(query.user);
      case "topic":
        if (typeof query.topic !== "string" || validatePattern(query.topic) !== undefined) {
          return undefined;
        }
        return local.subscriberCount(query.topic);
      case "stats":
        return local.stats();
      case "connections":
        return local.listConnections(listQueryOf(query));
    }
  } catch {
    // A malformed listing query: no answer, the asker names this hub missing.
  }
  return undefined;
}

/**
 * The commands a hub applies for another that may ask for an answer:
 * `handle` takes every control command first and says whether it was one of
 * the view's own (`query`, `answer`) or one this hub already applied before
 * sending it.
 */
export interface ClusterControl {
  /**
   * `true` when the command needs nothing more from the hub: an answer or
   * a query (handled here), or an action this hub asked for (applied
   * before it was sent) or aimed at another hub.
   */
  consumed(command: ControlCommand): boolean;
  /** Answers an action's `ask` with how many connections it touched here. */
  answer(ask: ControlAsk | undefined, touched: number): void;
}

/**
 * Creates the cluster view and its control side.
 *
 * @param local What the view does on this hub.
 * @returns The view (`hub.cluster`) and the control side for the hub's control handler.
 *
 * @example The control side ignores another hub's answers
 * ```ts ignore
 * const { view, control } = createClusterView(local);
 * control.consumed({ type: "answer", ask: { id: "1", from: "hub-b" }, node: "hub-c", body: 0 }); // true
 * ```
 */
export function createClusterView(
  local: ClusterLocal,
): { view: ClusterView; control: ClusterControl } {
  const { nodeId, asks } = local;

  function reply(ask: ControlAsk, body: unknown): void {
    local.send({ type: "answer", ask, node: nodeId, body }).catch((error) =>
      local.failed("answer", error)
    );
  }

  /** Asks; an action whose command the engine could not carry rejects. */
  async function act(question: Question<number>): Promise<ClusterAnswer<number>> {
    const answer = await asks.ask(question);
    if (answer.error !== undefined && answer.scope === "local") {
      throw new EngineError("ENGINE_UNAVAILABLE", answer.error);
    }
    return answer;
  }

  function query<T>(
    body: Record<string, unknown>,
    local: () => T,
    read: (body: unknown) => T | undefined,
    to?: string,
  ): Promise<ClusterAnswer<T>> {
    return asks.ask({
      command: (ask) => ({ type: "query", ask, query: body }),
      local,
      read,
      ...(to === undefined ? {} : { to }),
    });
  }

  function sendToUsers(
    users: readonly string[],
    event: string | undefined,
    payload: unknown,
  ): Promise<ClusterAnswer<number>> {
    const data = JSON.stringify(payload) ?? "null";
    return act({
      command: (ask) =>
        users.length === 1 && event !== undefined
          ? { type: "send_to_user", user: users[0], event, data, ask }
          : event === undefined
          ? { type: "broadcast_users", users, data, ask }
          : { type: "broadcast_users", users, event, data, ask },
      local: () => local.sendToUsers(users, event, data),
      read: count,
    });
  }

  const view: ClusterView = {
    sendToUser: (user, event, payload) => sendToUsers([user], event, payload),
    sendToUsers,
    disconnectUser(user, reason = "Disconnected by an operator") {
      return act({
        // Kept by a networked engine for a while, for a hub cut off now.
        command: (ask) => ({
          type: "disconnect_user",
          user,
          reason,
          at: local.now(),
          keepMs: DISCONNECT_KEEP_MS,
          ask,
        }),
        local: () => local.disconnectUser(user, reason),
        read: count,
      });
    },
    disconnectConnection(connection, reason = "Disconnected by an operator") {
      return act({
        command: (ask) => ({ type: "disconnect_connection", connection, reason, ask }),
        local: () => local.disconnectConnection(connection, reason),
        read: count,
      });
    },
    revoke(target) {
      const at = local.now();
      const keepMs = Number.isFinite(local.revocationKeepMs)
        ? { keepMs: local.revocationKeepMs }
        : {};
      const session = target.session === undefined ? {} : { session: target.session };
      return act({
        command: (ask) => ({ type: "revoke", user: target.user, at, ...session, ...keepMs, ask }),
        local: () => local.revoke(target, at),
        read: count,
      });
    },
    userStatus: (user) =>
      query({ kind: "user_status", user }, () => local.userStatus(user), readStatus),
    subscriberCount: (topic) =>
      query({ kind: "topic", topic }, () => local.subscriberCount(topic), count),
    stats: () => query({ kind: "stats" }, () => local.stats(), readStats),
    listConnections(listQuery = {}, node) {
      // Every hub answers its first `offset + limit` rows; the caller merges.
      const limit = Math.min(
        MAX_LIST_LIMIT,
        (listQuery.offset ?? 0) + (listQuery.limit ?? 100),
      );
      const wide = node === undefined ? { ...listQuery, offset: 0, limit } : listQuery;
      return query(
        { kind: "connections", ...wide },
        () => local.listConnections(wide),
        readPage,
        node,
      );
    },
  };

  const control: ClusterControl = {
    consumed(command) {
      if (command.type === "answer") {
        asks.receive(command);
        return true;
      }
      const ask = (command as { ask?: ControlAsk }).ask;
      if (command.type === "query") {
        if (ask?.from === nodeId || (ask?.to !== undefined && ask.to !== nodeId)) return true;
        if (typeof command.query !== "object" || command.query === null) return true;
        const body = answerQuery(local, command.query);
        if (body !== undefined && ask !== undefined) reply(ask, body);
        return true;
      }
      if (ask === undefined) return false;
      return ask.from === nodeId || (ask.to !== undefined && ask.to !== nodeId);
    },
    answer(ask, touched) {
      if (ask !== undefined && typeof ask.id === "string" && typeof ask.from === "string") {
        reply(ask, touched);
      }
    },
  };

  return { view, control };
}
