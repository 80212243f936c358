/**
 * A set that keeps its first member in a field and makes a `Set` only for a
 * second one. Most connections hold one subscription; an empty `Set` with
 * its hash table costs an idle connection about 200 bytes in V8, this
 * object about 40.
 *
 * @module
 */

/** A set of strings or objects, small in the common case of one member. */
export class SmallSet<T extends string | object> {
  #one: T | undefined;
  #many: Set<T> | undefined;

  /** Members. */
  get size(): number {
    if (this.#many !== undefined) return this.#many.size;
    return this.#one === undefined ? 0 : 1;
  }

  /** Whether `value` is a member. */
  has(value: T): boolean {
    return this.#many !== undefined ? this.#many.has(value) : this.#one === value;
  }

  /** Adds `value`; `false` when it was already a member. */
  add(value: T): boolean {
    const many = this.#many;
    if (many !== undefined) {
      if (many.has(value)) return false;
      many.add(value);
      return true;
    }
    if (this.#one === undefined) {
      this.#one = value;
      return true;
    }
    if (this.#one === value) return false;
    this.#many = new Set([this.#one, value]);
    this.#one = undefined;
    return true;
  }

  /** Removes `value`; `false` when it was not a member. */
  delete(value: T): boolean {
    if (this.#many !== undefined) return this.#many.delete(value);
    if (this.#one === undefined || this.#one !== value) return false;
    this.#one = undefined;
    return true;
  }

  /** Removes every member. */
  clear(): void {
    this.#one = undefined;
    this.#many = undefined;
  }

  /** The members in insertion order (a copy: safe to change the set while iterating). */
  toArray(): T[] {
    if (this.#many !== undefined) return [...this.#many];
    return this.#one === undefined ? [] : [this.#one];
  }
}

/**
 * A small set of strings held as a value, for a field of an object every
 * idle connection holds (a session's subscriptions): none is `undefined`,
 * one is the string itself, more are a `Set`. The object pays its one field
 * and nothing more until a second member, where a `SmallSet` is an object
 * of its own (about 40 bytes). The functions below read and change it; a
 * change returns the value to store.
 */
export type FewStrings = string | Set<string> | undefined;

/** Whether `value` is a member of `set`. */
export function fewHas(set: FewStrings, value: string): boolean {
  return typeof set === "string" ? set === value : set !== undefined && set.has(value);
}

/** How many members `set` has. */
export function fewSize(set: FewStrings): number {
  return typeof set === "string" ? 1 : set === undefined ? 0 : set.size;
}

/** `set` with `value` added (a `Set` is changed in place). */
export function fewWith(set: FewStrings, value: string): FewStrings {
  if (set === undefined) return value;
  if (typeof set === "string") return set === value ? set : new Set([set, value]);
  set.add(value);
  return set;
}

/** `set` without `value` (a `Set` is changed in place; an empty one becomes `undefined`). */
export function fewWithout(set: FewStrings, value: string): FewStrings {
  if (typeof set === "string") return set === value ? undefined : set;
  if (set === undefined) return undefined;
  set.delete(value);
  return set.size === 0 ? undefined : set;
}

/** The members in insertion order (a copy: safe to change the set while iterating). */
export function fewToArray(set: FewStrings): string[] {
  return typeof set === "string" ? [set] : set === undefined ? [] : [...set];
}
