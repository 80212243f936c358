// The reconnect schedule shared by RealtimeClient and `realtime-cli tail`:
// which hub URL the next attempt goes to, failed attempts in a row, the
// back-off delay before the next one, and the one timer that waits it out.
// Time and randomness are injected.

import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import type { ClientClock } from "./options.ts";

export interface ReconnectOptions {
  clock: ClientClock;
  backoff: BackoffOptions;
  random: () => number;
  /** Attempts after which `exhausted` is true. */
  maxReconnectAttempts: number;
  /** The hub URLs, in the order they are tried; at least one. */
  urls: readonly URL[];
}

/** What `schedule` decided. */
export interface ScheduledAttempt {
  /** Failed attempts in a row before this one. */
  attempt: number;
  /** The wait before it, in milliseconds. */
  retryInMs: number;
  /** Where it goes. */
  url: URL;
}

/**
 * The URL after `index` in a list of `count`, wrapping around: a failed hub
 * hands over to the next one, the last to the first.
 */
export function nextUrlIndex(index: number, count: number): number {
  return (index + 1) % count;
}

export class ReconnectSchedule {
  readonly #o: ReconnectOptions;
  #attempt = 0;
  #index = 0;
  #timer: unknown;

  constructor(options: ReconnectOptions) {
    if (options.urls.length === 0) throw new TypeError("Cannot reconnect without a hub URL");
    this.#o = options;
  }

  /** Failed attempts in a row. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Whether `maxReconnectAttempts` attempts failed in a row. */
  get exhausted(): boolean {
    return this.#attempt >= this.#o.maxReconnectAttempts;
  }

  /** Whether an attempt is waiting for its timer. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** The URL of the current connection, or of the next attempt. */
  get url(): URL {
    return this.#o.urls[this.#index];
  }

  /**
   * The hub at {@linkcode url} failed (an attempt, or a connection that was
   * open): the next attempt goes to the next URL. Not called when the fault
   * is not the hub's (a token to renew), so that attempt stays where it was.
   */
  moveOn(): URL {
    this.#index = nextUrlIndex(this.#index, this.#o.urls.length);
    return this.url;
  }

  /** A connection succeeded: the back-off starts over at the next failure; the URL stays. */
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
    return { attempt, retryInMs, url: this.url };
  }

  /** Cancels the waiting attempt, if any. */
  cancel(): void {
    if (this.#timer === undefined) return;
    this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
