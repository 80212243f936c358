/**
 * The `jti` values seen within the replay window, bounded in count. Each id
 * is kept until the time after which a publication carrying it would be
 * refused as stale anyway, so a replay is either remembered or too old.
 * Expired ids are dropped lazily through a min-heap on expiry: pruning costs
 * O(log n) per dropped id, never a scan of the whole cache.
 *
 * @module
 */

/** What {@linkcode ReplayCache.add} did. */
export type AddResult = "added" | "replayed" | "full";

interface Entry {
  readonly id: string;
  readonly expiresAt: number;
}

/** A bounded set of ids with expiry times. */
export class ReplayCache {
  readonly #max: number;
  readonly #expiry = new Map<string, number>();
  readonly #heap: Entry[] = [];
  #heldUntil = 0;

  /** @param max Most ids held at once. */
  constructor(max: number) {
    this.#max = max;
  }

  /** How many ids are held (expired ones may remain until the next `add`). */
  get size(): number {
    return this.#expiry.size;
  }

  /** When the last id recorded may be forgotten (0 before the first). */
  get heldUntil(): number {
    return this.#heldUntil;
  }

  /**
   * Records `id` until `expiresAt`, unless it is already held (a replay) or
   * the cache is full of unexpired ids.
   */
  add(id: string, expiresAt: number, now: number): AddResult {
    this.#prune(now);
    if (this.#expiry.has(id)) return "replayed";
    if (this.#expiry.size >= this.#max) return "full";
    this.#expiry.set(id, expiresAt);
    this.#push({ id, expiresAt });
    if (expiresAt > this.#heldUntil) this.#heldUntil = expiresAt;
    return "added";
  }

  #prune(now: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0].expiresAt <= now) {
      this.#expiry.delete(this.#pop().id);
    }
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].expiresAt <= entry.expiresAt) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right].expiresAt < heap[left].expiresAt
        ? right
        : left;
      if (heap[child].expiresAt >= last.expiresAt) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
