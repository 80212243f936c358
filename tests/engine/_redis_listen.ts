// A listener for the Redis engine tests that records deliveries, presence
// events and lost events, and lets a test wait for them with a timeout.

import type {
  Delivery,
  EngineListener,
  LostEvent,
  PresenceEvent,
} from "../../src/engine/engine.ts";

export class Listen implements EngineListener {
  readonly deliveries: Delivery[] = [];
  readonly presenceEvents: PresenceEvent[] = [];
  readonly lost: (LostEvent & { at: number })[] = [];
  #waiters: { done: () => boolean; resolve: () => void }[] = [];

  onPublication = (delivery: Delivery): void => {
    this.deliveries.push(delivery);
    this.#check();
  };

  onPresence = (event: PresenceEvent): void => {
    this.presenceEvents.push(event);
    this.#check();
  };

  onLost = (event: LostEvent): void => {
    this.lost.push({ ...event, at: performance.now() });
    this.#check();
  };

  get datas(): string[] {
    return this.deliveries.map((d) => d.publication.data);
  }

  /** Resolves when `done()` holds; rejects after `timeoutMs`. */
  until(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = {
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.push(waiter);
    });
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.done()) return true;
      w.resolve();
      return false;
    });
  }
}

export const pub = (data: string) => ({ data, from: null, ts: 1 });

/**
 * Re-checks a condition held in Redis (which sends no event for it) every
 * `everyMs` until it holds; rejects after `timeoutMs`. Bounded in count and time.
 */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 5000,
  everyMs = 50,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
