/**
 * Presence as data: who is on each topic, one entry per connection, with
 * joins and leaves computed as diffs (after Phoenix's presence state).
 *
 * @module
 */

import type { PresenceEntry, PresenceStats } from "./engine.ts";

/**
 * What changed on a topic: connections that joined and connections that left.
 *
 * @example An empty diff
 * ```ts
 * import type { PresenceDiff } from "./presence_table.ts";
 *
 * const diff: PresenceDiff = { joins: [], leaves: [] };
 * ```
 */
export interface PresenceDiff {
  /** Entries that joined. */
  readonly joins: readonly PresenceEntry[];
  /** Entries that left. */
  readonly leaves: readonly PresenceEntry[];
}

/**
 * The joins and leaves that turn one presence list into another, by
 * connection. A connection whose user or info changed leaves and joins again.
 *
 * @param before The earlier list.
 * @param after The later list.
 * @returns The diff; both arrays empty when nothing changed.
 *
 * @example A tab closed and another opened
 * ```ts
 * import { diffPresence } from "./presence_table.ts";
 * import assert from "node:assert/strict";
 *
 * const a = { connection: "c1", user: "alice" };
 * const b = { connection: "c2", user: "alice" };
 * const diff = diffPresence([a], [b]);
 * assert.deepEqual(diff, { joins: [b], leaves: [a] });
 * ```
 */
export function diffPresence(
  before: readonly PresenceEntry[],
  after: readonly PresenceEntry[],
): PresenceDiff {
  const old = new Map(before.map((entry) => [entry.connection, entry]));
  const joins: PresenceEntry[] = [];
  const leaves: PresenceEntry[] = [];
  for (const entry of after) {
    const previous = old.get(entry.connection);
    old.delete(entry.connection);
    if (previous === undefined) joins.push(entry);
    else if (!sameEntry(previous, entry)) {
      leaves.push(previous);
      joins.push(entry);
    }
  }
  for (const entry of old.values()) leaves.push(entry);
  return { joins, leaves };
}

function sameEntry(a: PresenceEntry, b: PresenceEntry): boolean {
  return a.user === b.user &&
    (a.info === b.info || JSON.stringify(a.info) === JSON.stringify(b.info));
}

/** A topic with two or more connections: entries by connection, connections per user. */
interface TopicPresence {
  readonly entries: Map<string, PresenceEntry>;
  readonly users: Map<string, number>;
}

const NO_CHANGE: PresenceDiff = Object.freeze({ joins: [], leaves: [] });

/**
 * Every topic's presence in one process. Adding a connection twice is a
 * refresh, not a second join; an empty topic is forgotten at once.
 *
 * @example Two tabs of one user and a second user
 * ```ts
 * import { PresenceTable } from "./presence_table.ts";
 * import assert from "node:assert/strict";
 *
 * const table = new PresenceTable();
 * table.add("room:1", { connection: "c1", user: "alice" });
 * table.add("room:1", { connection: "c2", user: "alice" });
 * table.add("room:1", { connection: "c3", user: "bob" });
 * assert.deepEqual(table.stats("room:1"), { connections: 3, users: 2 });
 * const diff = table.remove("room:1", "c3");
 * assert.deepEqual(diff.leaves.map((e) => e.user), ["bob"]);
 * ```
 */
export class PresenceTable {
  /**
   * A topic with one connection (the common case: a per-user room) maps to
   * its entry alone; two maps with their hash tables come with a second.
   */
  #topics = new Map<string, PresenceEntry | TopicPresence>();

  /** Topics with at least one connection present. */
  get topics(): number {
    return this.#topics.size;
  }

  /**
   * Marks a connection present on a topic.
   *
   * @returns The join, or a leave and a join when the connection's user or
   * info changed, or an empty diff for a refresh.
   */
  add(topic: string, entry: PresenceEntry): PresenceDiff {
    const held = this.#topics.get(topic);
    if (held === undefined) {
      this.#topics.set(topic, entry);
      return { joins: [entry], leaves: [] };
    }
    if (!isShared(held)) {
      if (held.connection === entry.connection) {
        if (sameEntry(held, entry)) return NO_CHANGE;
        this.#topics.set(topic, entry);
        return { joins: [entry], leaves: [held] };
      }
      const presence: TopicPresence = {
        entries: new Map([[held.connection, held]]),
        users: new Map([[held.user, 1]]),
      };
      this.#topics.set(topic, presence);
      return join(presence, entry);
    }
    return join(held, entry);
  }

  /** Removes a connection from a topic; an empty diff when it was absent. */
  remove(topic: string, connection: string): PresenceDiff {
    const held = this.#topics.get(topic);
    if (held === undefined) return NO_CHANGE;
    if (!isShared(held)) {
      if (held.connection !== connection) return NO_CHANGE;
      this.#topics.delete(topic);
      return { joins: [], leaves: [held] };
    }
    const entry = held.entries.get(connection);
    if (entry === undefined) return NO_CHANGE;
    held.entries.delete(connection);
    release(held, entry);
    if (held.entries.size === 1) {
      this.#topics.set(topic, held.entries.values().next().value!);
    }
    return { joins: [], leaves: [entry] };
  }

  /** Who is on a topic, one entry per connection, in join order. */
  list(topic: string): PresenceEntry[] {
    const held = this.#topics.get(topic);
    if (held === undefined) return [];
    return isShared(held) ? [...held.entries.values()] : [held];
  }

  /** Connections and distinct users on a topic. */
  stats(topic: string): PresenceStats {
    const held = this.#topics.get(topic);
    if (held === undefined) return { connections: 0, users: 0 };
    return isShared(held)
      ? { connections: held.entries.size, users: held.users.size }
      : { connections: 1, users: 1 };
  }

  /** Forgets everything. */
  clear(): void {
    this.#topics.clear();
  }
}

function isShared(held: PresenceEntry | TopicPresence): held is TopicPresence {
  return (held as TopicPresence).entries instanceof Map;
}

function join(presence: TopicPresence, entry: PresenceEntry): PresenceDiff {
  const previous = presence.entries.get(entry.connection);
  if (previous !== undefined && sameEntry(previous, entry)) return NO_CHANGE;
  if (previous !== undefined) release(presence, previous);
  presence.entries.set(entry.connection, entry);
  presence.users.set(entry.user, (presence.users.get(entry.user) ?? 0) + 1);
  return { joins: [entry], leaves: previous === undefined ? [] : [previous] };
}

function release(presence: TopicPresence, entry: PresenceEntry): void {
  const count = presence.users.get(entry.user)! - 1;
  if (count === 0) presence.users.delete(entry.user);
  else presence.users.set(entry.user, count);
}
