// Gap detection as data: the last position delivered per topic, and what a
// new delivery says about the ones in between.

/** Why a delivery shows that publications were missed. */
export type GapReason = "gap" | "epoch";

/**
 * The last delivered position of up to `max` topics (oldest forgotten first;
 * a forgotten topic starts from a fresh baseline at its next delivery).
 */
export class GapTracker {
  #last = new Map<string, { offset: number; epoch: string }>();
  #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /**
   * Records a delivery: `gap` when offsets were skipped, `epoch` when the
   * topic's stream restarted, otherwise undefined. A position at or before
   * the last one (the same publication through a channel and a glob) changes
   * nothing.
   */
  observe(topic: string, offset: number, epoch: string): GapReason | undefined {
    const last = this.#last.get(topic);
    if (last === undefined) {
      if (this.#last.size >= this.#max) this.#last.delete(this.#last.keys().next().value!);
      this.#last.set(topic, { offset, epoch });
      return undefined;
    }
    if (last.epoch === epoch && offset <= last.offset) return undefined;
    const reason = last.epoch !== epoch ? "epoch" : offset > last.offset + 1 ? "gap" : undefined;
    last.offset = offset;
    last.epoch = epoch;
    return reason;
  }

  forget(topic: string): void {
    this.#last.delete(topic);
  }

  /** The tracked topics, as a copy safe to forget from while iterating. */
  topics(): string[] {
    return [...this.#last.keys()];
  }

  get size(): number {
    return this.#last.size;
  }

  clear(): void {
    this.#last.clear();
  }
}
