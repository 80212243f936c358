// The client's heartbeat: a ping every `intervalMs` while open; a ping not
// answered in time means the connection is dead even if the socket has not
// noticed. Time comes from the injected clock.

import type { RealtimeError } from "./errors.ts";
import type { ClientClock } from "./options.ts";

export class Heartbeat {
  readonly #clock: ClientClock;
  readonly #intervalMs: number;
  readonly #ping: () => Promise<unknown>;
  readonly #onMissed: () => void;
  #timer: unknown;
  #generation = 0;

  /**
   * @param clock Timers.
   * @param intervalMs Between an answer and the next ping; 0 turns the heartbeat off.
   * @param ping Sends a ping; rejects with `TIMEOUT` when it is not answered in time.
   * @param onMissed Called when a ping timed out.
   */
  constructor(
    clock: ClientClock,
    intervalMs: number,
    ping: () => Promise<unknown>,
    onMissed: () => void,
  ) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#ping = ping;
    this.#onMissed = onMissed;
  }

  /** Schedules the next ping (again after each answer) until `stop()`. */
  start(): void {
    this.stop();
    if (this.#intervalMs === 0) return;
    const generation = this.#generation;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#ping().then(
        () => {
          if (generation === this.#generation) this.start();
        },
        (error: RealtimeError) => {
          if (error.code === "TIMEOUT" && generation === this.#generation) this.#onMissed();
        },
      );
    }, this.#intervalMs);
  }

  /** Cancels the next ping and ignores the answer to one in flight. */
  stop(): void {
    this.#generation++;
    if (this.#timer === undefined) return;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
