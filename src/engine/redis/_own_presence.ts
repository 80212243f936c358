// The presence entries this process added and must keep refreshing until it
// removes them: topic -> connection -> encoded entry.

export class OwnPresence {
  #topics = new Map<string, Map<string, string>>();

  set(topic: string, connection: string, encoded: string): void {
    let entries = this.#topics.get(topic);
    if (entries === undefined) this.#topics.set(topic, entries = new Map());
    entries.set(connection, encoded);
  }

  delete(topic: string, connection: string): void {
    const entries = this.#topics.get(topic);
    entries?.delete(connection);
    if (entries?.size === 0) this.#topics.delete(topic);
  }

  /** Every entry as `[topic, [connection, encoded, ...]]`, at most `size` entries per batch. */
  *batches(size: number): Generator<[string, string[]]> {
    for (const [topic, entries] of this.#topics) {
      const pairs = [...entries].flat();
      for (let i = 0; i < pairs.length; i += size * 2) yield [topic, pairs.slice(i, i + size * 2)];
    }
  }

  /** Every `[topic, connection]`. */
  *connections(): Generator<[string, string]> {
    for (const [topic, entries] of this.#topics) {
      for (const connection of entries.keys()) yield [topic, connection];
    }
  }

  clear(): void {
    this.#topics.clear();
  }
}
