// The client's event listeners: registered per event name, called in order,
// each guarded so one that throws does not stop the others. Closing drops
// every listener and ignores later registrations.

import { guard } from "./_guard.ts";

// deno-lint-ignore no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  readonly #sets = new Map<keyof Events, Set<Listener>>();
  #closed = false;

  /** @param names Every event name; `on` refuses others. */
  constructor(names: readonly (keyof Events)[]) {
    for (const name of names) this.#sets.set(name, new Set());
  }

  /**
   * Adds a listener (not once closed).
   *
   * @returns A function that removes it.
   * @throws {TypeError} For an unknown event or a listener that is not a function.
   */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    const set = this.#sets.get(event);
    if (set === undefined) {
      const names = [...this.#sets.keys()].map((name) => `"${String(name)}"`);
      throw new TypeError(
        `Cannot listen to '${String(event)}': use ${names.slice(0, -1).join(", ")} or ${
          names.at(-1)
        }`,
      );
    }
    if (typeof listener !== "function") {
      throw new TypeError(
        `Cannot listen to '${String(event)}' with a listener of type ${typeof listener}`,
      );
    }
    if (!this.#closed) set.add(listener);
    return () => void set.delete(listener);
  }

  /** Calls the event's listeners with `args`. */
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const listener of [...this.#sets.get(event)!]) guard(() => listener(...args));
  }

  /** Drops every listener; later `on` calls add nothing. */
  close(): void {
    this.#closed = true;
    for (const set of this.#sets.values()) set.clear();
  }
}
