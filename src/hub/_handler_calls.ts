// Running the application's handlers: bounded per connection and per hub,
// under a time limit on the hub's clock, counted, and with every failure
// turned into a HubError the session can answer with. Internal.

import { HubError } from "../protocol/errors.ts";
import type { Clock } from "./clock.ts";
import type { Deadlines } from "./_deadlines.ts";
import type { HandlerLimits } from "./handlers.ts";
import { errorDetail, type LogEntry } from "./log.ts";
import { type HubMetrics, increment, observe } from "./metrics.ts";

/** One connection's share of handler calls: how many run, and its abort signal. */
export class CallSlot {
  active = 0;
  readonly controller = new AbortController();
}

/** Options of {@linkcode HandlerCalls}. */
export interface HandlerCallsOptions {
  limits: HandlerLimits;
  clock: Clock;
  deadlines: Deadlines;
  metrics: HubMetrics;
  log(entry: LogEntry): void;
}

/** Runs handlers for every session of one hub. */
export class HandlerCalls {
  #options: HandlerCallsOptions;
  #active = 0;
  #waiting: (() => void)[] = [];
  /** Each connection's share, made at its first call: a connection keeps no field for it. */
  #slots = new WeakMap<object, CallSlot>();

  constructor(options: HandlerCallsOptions) {
    this.#options = options;
  }

  /** The share of a connection (any object standing for it), made when first asked. */
  slotOf(owner: object): CallSlot {
    let slot = this.#slots.get(owner);
    if (slot === undefined) this.#slots.set(owner, slot = new CallSlot());
    return slot;
  }

  /** Aborts the calls of a connection that closed; nothing when it made none. */
  abort(owner: object): void {
    this.#slots.get(owner)?.controller.abort();
    this.#slots.delete(owner);
  }

  /**
   * Calls `fn` with a signal, within the limits. Resolves with its result;
   * rejects with a {@linkcode HubError}: the handler's own, `RATE_LIMITED`
   * past the connection's bound, `TIMEOUT` past the time limit, or
   * `INTERNAL` for anything else it threw (logged with its detail).
   *
   * @param kind The handler (`connect`, `publish`, `rpc`...), for metrics and logs.
   * @param slot The connection's share.
   * @param fn The handler call.
   */
  call<T>(kind: string, slot: CallSlot, fn: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
    const { limits, metrics, clock, deadlines } = this.#options;
    increment(metrics.handlerCalls, kind);
    if (slot.active >= limits.maxConcurrentPerConnection) {
      increment(metrics.handlerErrors, kind);
      return Promise.reject(
        new HubError(
          "RATE_LIMITED",
          `Too many calls waiting for the application: at most ${limits.maxConcurrentPerConnection} per connection`,
        ),
      );
    }
    slot.active++;
    const started = clock.now();
    const timeout = new AbortController();
    const signal = AbortSignal.any([slot.controller.signal, timeout.signal]);
    return new Promise<T>((resolve, reject) => {
      let done = false;
      let running = false;
      const finish = () => {
        done = true;
        slot.active--;
        deadlines.cancel(deadline);
        slot.controller.signal.removeEventListener("abort", closed);
        observe(metrics.handlerSeconds, (clock.now() - started) / 1000);
        if (running) this.#release();
      };
      const deadline = deadlines.add(started + limits.timeoutMs, () => {
        if (done) return;
        finish();
        timeout.abort();
        increment(metrics.handlerErrors, kind);
        reject(
          new HubError(
            "TIMEOUT",
            `The application did not answer '${kind}' within ${limits.timeoutMs} ms`,
          ),
        );
      });
      // The connection closed: the call is over for the hub (its deadline and
      // place are freed); the handler sees its signal abort.
      const closed = () => {
        if (done) return;
        finish();
        reject(new HubError("INTERNAL", `The connection closed during '${kind}'`));
      };
      slot.controller.signal.addEventListener("abort", closed);
      this.#acquire(() => {
        if (done) {
          this.#release();
          return;
        }
        running = true;
        let result: T | Promise<T>;
        try {
          result = fn(signal);
        } catch (error) {
          result = Promise.reject(error);
        }
        Promise.resolve(result).then((value) => {
          if (done) return;
          finish();
          resolve(value);
        }, (error) => {
          if (done) return;
          finish();
          increment(metrics.handlerErrors, kind);
          reject(this.#failure(kind, error));
        });
      });
    });
  }

  /** A handler's failure as the client sees it. */
  #failure(kind: string, error: unknown): HubError {
    if (error instanceof HubError) return error;
    this.#options.log({
      level: "error",
      event: "handler.failed",
      handler: kind,
      ...errorDetail(error),
    });
    return new HubError("INTERNAL", `The application failed to handle '${kind}'`);
  }

  #acquire(start: () => void): void {
    if (this.#active < this.#options.limits.maxConcurrent) {
      this.#active++;
      start();
    } else this.#waiting.push(start);
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#active--;
    else next();
  }
}
