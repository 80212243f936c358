// The reconnect schedule shared by RealtimeClient and `realtime-cli tail`:
// failed attempts in a row, the back-off delay before the next one, and the
// one timer that waits it out. Time and randomness are injected.

import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import type { ClientClock } from "./options.ts";

export interface ReconnectOptions {
  clock: ClientClock;
  backoff: BackoffOptions;
  random: () => number;
  /** Attempts after which `exhausted` is true. */
  maxAttempts: number;
}

/** What `schedule` decided. */
export interface ScheduledAttempt {
  /** Failed attempts in a row before this one. */
  attempt: number;
  /** The wait before it, in milliseconds. */
  retryInMs: number;
}

export class ReconnectSchedule {
  readonly #o: ReconnectOptions;
  #attempt = 0;
  #timer: unknown;

  constructor(options: ReconnectOptions) {
    this.#o = options;
  }

  /** Failed attempts in a row. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Whether `maxAttempts` attempts failed in a row. */
  get exhausted(): boolean {
    return this.#attempt >= this.#o.maxAttempts;
  }

  /** Whether an attempt is waiting for its timer. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** A connection succeeded: the next failure starts the back-off over. */
  reset(): void {
    this.#attempt = 0;
  }

  /**
   * Counts a failure and runs `connect` after the back-off (or `delayMs`).
   * Replaces an attempt already waiting.
   */
  schedule(connect: () => void, delayMs?: number): ScheduledAttempt {
    const attempt = this.#attempt;
    const retryInMs = delayMs ?? backoffDelay(attempt, this.#o.backoff, this.#o.random);
    this.#attempt++;
    this.cancel();
    this.#timer = this.#o.clock.setTimer(() => {
      this.#timer = undefined;
      connect();
    }, retryInMs);
    return { attempt, retryInMs };
  }

  /** Cancels the waiting attempt, if any. */
  cancel(): void {
    if (this.#timer === undefined) return;
    this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
