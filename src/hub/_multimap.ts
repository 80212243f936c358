/**
 * A map from a key to one or more values, for the hub's indexes that are
 * mostly one-to-one: users to connections, topics to subscribers. A key with
 * one value maps to the value itself and gets a `Set` only with a second
 * one, so an idle connection costs a map entry, not a map entry and a set
 * with its hash table (about 200 bytes each in V8).
 *
 * @module
 */

/** Keys to one or more values (objects, compared by identity). */
export class Multimap<V extends object> {
  #map = new Map<string, V | Set<V>>();

  /** Distinct keys. */
  get size(): number {
    return this.#map.size;
  }

  /** Adds a value under a key; `false` when it was already there. */
  add(key: string, value: V): boolean {
    const entry = this.#map.get(key);
    if (entry === undefined) this.#map.set(key, value);
    else if (entry instanceof Set) {
      if (entry.has(value)) return false;
      entry.add(value);
    } else if (entry === value) return false;
    else this.#map.set(key, new Set([entry, value]));
    return true;
  }

  /** Removes a value from a key; `false` when it was not there. */
  delete(key: string, value: V): boolean {
    const entry = this.#map.get(key);
    if (entry === value) return this.#map.delete(key);
    if (!(entry instanceof Set) || !entry.delete(value)) return false;
    if (entry.size === 1) this.#map.set(key, entry.values().next().value!);
    return true;
  }

  /** A key's values (a copy: safe to change the map while iterating). */
  get(key: string): V[] {
    const entry = this.#map.get(key);
    if (entry === undefined) return [];
    return entry instanceof Set ? [...entry] : [entry];
  }

  /**
   * Calls `fn` for each value of a key, without copying: the fan-out path.
   * Values removed during the walk and not yet visited are skipped.
   */
  forEach(key: string, fn: (value: V) => void): void {
    const entry = this.#map.get(key);
    if (entry === undefined) return;
    if (entry instanceof Set) { for (const value of entry) fn(value); }
    else fn(entry);
  }

  /**
   * A key's value, or its set of values when it has several, as held: for
   * a caller that walks one value without a callback (the fan-out's common
   * case). The set is live: do not change it.
   */
  entry(key: string): V | ReadonlySet<V> | undefined {
    return this.#map.get(key);
  }

  /** How many values a key has. */
  count(key: string): number {
    const entry = this.#map.get(key);
    return entry === undefined ? 0 : entry instanceof Set ? entry.size : 1;
  }

  /** Whether a key has a value. */
  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** Every key with a value. */
  keys(): MapIterator<string> {
    return this.#map.keys();
  }
}
