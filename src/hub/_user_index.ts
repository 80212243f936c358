/**
 * Connections by user. Most users have one connection, so a user maps to
 * the connection itself and gets a `Set` only with a second one: an idle
 * connection then costs a map entry, not a map entry and a set.
 *
 * @module
 */

/** Connections grouped by user. */
export class UserIndex<C extends object> {
  #map = new Map<string, C | Set<C>>();

  /** Distinct users. */
  get size(): number {
    return this.#map.size;
  }

  /** Adds a connection of a user. */
  add(user: string, connection: C): void {
    const entry = this.#map.get(user);
    if (entry === undefined) this.#map.set(user, connection);
    else if (entry instanceof Set) entry.add(connection);
    else if (entry !== connection) this.#map.set(user, new Set([entry, connection]));
  }

  /** Removes a connection of a user; `false` when it was not there. */
  delete(user: string, connection: C): boolean {
    const entry = this.#map.get(user);
    if (entry === connection) return this.#map.delete(user);
    if (!(entry instanceof Set) || !entry.delete(connection)) return false;
    if (entry.size === 1) this.#map.set(user, entry.values().next().value!);
    return true;
  }

  /** A user's connections (a copy: safe to close them while iterating). */
  get(user: string): C[] {
    const entry = this.#map.get(user);
    if (entry === undefined) return [];
    return entry instanceof Set ? [...entry] : [entry];
  }

  /** How many connections a user has. */
  count(user: string): number {
    const entry = this.#map.get(user);
    return entry === undefined ? 0 : entry instanceof Set ? entry.size : 1;
  }

  /** Whether a user has a connection. */
  has(user: string): boolean {
    return this.#map.has(user);
  }

  /** Every user with a connection. */
  users(): IterableIterator<string> {
    return this.#map.keys();
  }
}
