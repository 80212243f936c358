// Publishes made while the client is not open: serialised frames by request
// id, bounded, sent in order on the next `welcome`.

export class PublishQueue {
  readonly #max: number;
  readonly #texts = new Map<number, string>();

  /** @param max How many publishes may wait. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Whether another publish would exceed the bound. */
  get full(): boolean {
    return this.#texts.size >= this.#max;
  }

  /** Queues a publish frame under its request id. */
  add(id: number, text: string): void {
    this.#texts.set(id, text);
  }

  /**
   * Puts publishes that were sent on a lost connection back, ahead of
   * those queued since, so they leave again first and in their order.
   */
  requeue(entries: readonly [id: number, text: string][]): void {
    if (entries.length === 0) return;
    const later = [...this.#texts];
    this.#texts.clear();
    for (const [id, text] of entries) this.#texts.set(id, text);
    for (const [id, text] of later) this.#texts.set(id, text);
  }

  /** Drops one (it was answered, timed out or the client closed). */
  delete(id: number): void {
    this.#texts.delete(id);
  }

  /** Empties the queue, returning what waited, oldest first. */
  take(): [id: number, text: string][] {
    const queued = [...this.#texts];
    this.#texts.clear();
    return queued;
  }
}
