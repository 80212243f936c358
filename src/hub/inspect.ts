/**
 * Read-only views of a hub's connections and topics for the admin API and
 * the operator's console: searched, bounded and paginated, so a listing
 * never costs more than one pass over what it lists.
 *
 * @module
 */

/** Most rows one listing returns. */
export const MAX_LIST_LIMIT = 500;

/** Rows a listing returns when no `limit` is given. */
export const DEFAULT_LIST_LIMIT = 100;

/**
 * One connection as the admin API lists it.
 *
 * @example Show a row
 * ```ts
 * import type { ConnectionInfo } from "@realtime/hub";
 *
 * const row = (c: ConnectionInfo) => `${c.user ?? "(no user yet)"} ${c.id} ${c.remoteAddr ?? "?"}`;
 * ```
 */
export interface ConnectionInfo {
  /** The server-assigned connection id. */
  readonly id: string;
  /** The authenticated user, or `null` while waiting for first-message auth. */
  readonly user: string | null;
  /** The client's IP address, when known. */
  readonly remoteAddr: string | null;
  /** The transport adapter (`ws`, `deno`), or `stomp` for a STOMP connection, when known. */
  readonly transport: string | null;
  /** Topics and patterns it is subscribed to. */
  readonly subscriptions: number;
  /** When it was accepted, epoch ms. */
  readonly since: number;
  /** Bytes queued for it and not yet written to the network. */
  readonly queuedBytes: number;
}

/**
 * A search over a listing.
 *
 * @example The second page of connections from 10.0.0.7
 * ```ts
 * import type { ListQuery } from "@realtime/hub";
 *
 * const query: ListQuery = { search: "10.0.0.7", offset: 100, limit: 100 };
 * ```
 */
export interface ListQuery {
  /**
   * Keeps rows where this text occurs, ignoring case: in the user, connection
   * id or address of a connection, in the name of a topic.
   *
   * @default {""} (every row)
   */
  readonly search?: string;
  /**
   * Matching rows to skip.
   *
   * @default {0}
   */
  readonly offset?: number;
  /**
   * Most rows to return, at most 500.
   *
   * @default {100}
   */
  readonly limit?: number;
}

/**
 * A page of connections, oldest first.
 *
 * @example Say how many there are
 * ```ts
 * import type { ConnectionPage } from "@realtime/hub";
 *
 * const caption = (p: ConnectionPage) => `${p.connections.length} of ${p.matched} shown`;
 * ```
 */
export interface ConnectionPage {
  /** Open connections in all. */
  readonly total: number;
  /** Connections matching the search. */
  readonly matched: number;
  /** The requested page of them. */
  readonly connections: readonly ConnectionInfo[];
}

/**
 * A topic or pattern and how many local subscribers it has.
 *
 * @example Format
 * ```ts
 * import type { TopicInfo } from "@realtime/hub";
 *
 * const line = (t: TopicInfo) => `${t.topic}: ${t.subscribers}`;
 * ```
 */
export interface TopicInfo {
  /** The topic or pattern, as subscribed. */
  readonly topic: string;
  /** Its local subscribers. */
  readonly subscribers: number;
}

/**
 * Topics with the most subscribers first (ties by name).
 *
 * @example Say how many there are
 * ```ts
 * import type { TopicPage } from "@realtime/hub";
 *
 * const caption = (p: TopicPage) => `${p.topics.length} of ${p.matched} topics`;
 * ```
 */
export interface TopicPage {
  /** Topics and patterns with subscribers, in all. */
  readonly total: number;
  /** Those matching the search. */
  readonly matched: number;
  /** The requested page of them. */
  readonly topics: readonly TopicInfo[];
}

/** What a listing needs of a connection. */
export interface InspectableConnection {
  /** Server-assigned id. */
  readonly id: string;
  /** When it was accepted, epoch ms. */
  readonly since: number;
  /** Its principal, once authenticated. */
  readonly principal: { readonly sub: string } | undefined;
  /** Its address and transport, when the adapter said. */
  readonly peer: { readonly remoteAddr?: string; readonly transport?: string } | undefined;
  /** How many subscriptions it holds. */
  readonly subscriptionCount: number;
  /** Bytes queued for it and not yet written. */
  readonly queuedBytes: number;
}

/**
 * Checks a query and applies its defaults.
 *
 * @param query The query, from a caller.
 * @returns The search in lower case, the offset and the limit.
 * @throws {TypeError} When a field has the wrong type.
 * @throws {RangeError} When `offset` or `limit` is out of range.
 *
 * @example Defaults
 * ```ts
 * import { resolveListQuery } from "./inspect.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(resolveListQuery({}), { search: "", offset: 0, limit: 100 });
 * ```
 */
export function resolveListQuery(
  query: ListQuery,
): { search: string; offset: number; limit: number } {
  const { search = "", offset = 0, limit = DEFAULT_LIST_LIMIT } = query;
  if (typeof search !== "string") {
    throw new TypeError(`Cannot list as 'search' is ${typeof search}: expected a string`);
  }
  if (search.length > 256) {
    throw new RangeError(
      `Cannot list as 'search' has ${search.length} characters: at most 256 are allowed`,
    );
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`Cannot list as 'offset' is ${offset}: expected a whole number from 0`);
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new RangeError(
      `Cannot list as 'limit' is ${limit}: expected a whole number from 1 to ${MAX_LIST_LIMIT}`,
    );
  }
  return { search: search.toLowerCase(), offset, limit };
}

/**
 * Lists connections in the order given (the hub's is oldest first), one pass.
 *
 * @param connections The hub's open connections.
 * @param query Search, offset and limit.
 * @returns The page.
 * @throws {TypeError} When a query field has the wrong type.
 * @throws {RangeError} When `offset` or `limit` is out of range.
 *
 * @example Search by user
 * ```ts
 * import { listConnections } from "./inspect.ts";
 * import assert from "node:assert/strict";
 *
 * const conn = (id: string, sub: string) => ({
 *   id, since: 0, principal: { sub }, peer: undefined, subscriptionCount: 0, queuedBytes: 0,
 * });
 * const page = listConnections([conn("c1", "alice"), conn("c2", "bob")], { search: "BOB" });
 * assert.equal(page.total, 2);
 * assert.deepEqual(page.connections.map((c) => c.id), ["c2"]);
 * ```
 */
export function listConnections(
  connections: Iterable<InspectableConnection> & { readonly size?: number },
  query: ListQuery = {},
): ConnectionPage {
  const { search, offset, limit } = resolveListQuery(query);
  const rows: ConnectionInfo[] = [];
  let total = 0;
  let matched = 0;
  // Without a search, a full page means the rest need not be visited.
  const size = search === "" ? connections.size : undefined;
  for (const c of connections) {
    if (size !== undefined && rows.length >= limit) {
      return { total: size, matched: size, connections: rows };
    }
    total++;
    const user = c.principal?.sub ?? null;
    const remoteAddr = c.peer?.remoteAddr ?? null;
    if (
      search !== "" && !c.id.toLowerCase().includes(search) &&
      !(user !== null && user.toLowerCase().includes(search)) &&
      !(remoteAddr !== null && remoteAddr.toLowerCase().includes(search))
    ) continue;
    matched++;
    if (matched <= offset || rows.length >= limit) continue;
    rows.push({
      id: c.id,
      user,
      remoteAddr,
      transport: c.peer?.transport ?? null,
      subscriptions: c.subscriptionCount,
      since: c.since,
      queuedBytes: c.queuedBytes,
    });
  }
  return { total, matched, connections: rows };
}

/**
 * Lists topics, most subscribers first, keeping only `offset + limit` of
 * them while scanning (no sort of every topic).
 *
 * @param topics Every topic and pattern with subscribers.
 * @param count Subscribers of one of them.
 * @param query Search, offset and limit.
 * @returns The page.
 * @throws {TypeError} When a query field has the wrong type.
 * @throws {RangeError} When `offset` or `limit` is out of range.
 *
 * @example The busiest topic
 * ```ts
 * import { listTopics } from "./inspect.ts";
 * import assert from "node:assert/strict";
 *
 * const counts = new Map([["chat:a", 1], ["chat:b", 3]]);
 * const page = listTopics(counts.keys(), (t) => counts.get(t) ?? 0, { limit: 1 });
 * assert.deepEqual(page.topics, [{ topic: "chat:b", subscribers: 3 }]);
 * ```
 */
export function listTopics(
  topics: Iterable<string>,
  count: (topic: string) => number,
  query: ListQuery = {},
): TopicPage {
  const { search, offset, limit } = resolveListQuery(query);
  const keep = offset + limit;
  // Sorted best first; holds at most `keep` entries.
  const best: TopicInfo[] = [];
  let total = 0;
  let matched = 0;
  for (const topic of topics) {
    total++;
    if (search !== "" && !topic.toLowerCase().includes(search)) continue;
    matched++;
    const row = { topic, subscribers: count(topic) };
    if (best.length === keep && !before(row, best[best.length - 1])) continue;
    let i = best.length;
    while (i > 0 && before(row, best[i - 1])) i--;
    best.splice(i, 0, row);
    if (best.length > keep) best.pop();
  }
  return { total, matched, topics: best.slice(offset) };
}

function before(a: TopicInfo, b: TopicInfo): boolean {
  return a.subscribers > b.subscribers || (a.subscribers === b.subscribers && a.topic < b.topic);
}
