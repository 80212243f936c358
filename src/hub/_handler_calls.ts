// Running the application's handlers: bounded per connection and per hub,
// under a time limit on the hub's clock, counted, and with every failure
// turned into a HubError the session can answer with. Internal.
//
// A call costs one small object: its abort signal is made only when the
// handler reads it; every call has the same time limit, so calls expire in
// the order they started and one deadline, for the oldest, serves them all;
// a connection's calls are a list it walks when it closes, with no listener
// per call; and a handler that answers synchronously is answered
// synchronously, with no promise.

import { HubError } from "../protocol/errors.ts";
import type { Clock } from "./clock.ts";
import type { Deadline, Deadlines } from "./_deadlines.ts";
import type { HandlerLimits } from "./handlers.ts";
import { errorDetail, type LogEntry } from "./log.ts";
import { type HubMetrics, increment, observe } from "./metrics.ts";

/** What a handler call gives the handler: its abort signal, made when first read. */
export interface HandlerCall {
  /** Aborted when the connection closes or the time limit passes while the call runs. */
  readonly signal: AbortSignal;
}

/** One connection's share of handler calls: how many run, and those not yet answered. */
export class CallSlot {
  active = 0;
  /** The connection closed: its calls are over. */
  closed = false;
  /** @internal The first of its calls waiting for an answer. */
  first: Call | undefined = undefined;
}

const WAITING = 0;
const RUNNING = 1;
const DONE = 2;

/** One call. @internal */
class Call implements HandlerCall {
  state = WAITING;
  /** Whether the call's signal is to be aborted (made aborted when read late). */
  aborted = false;
  controller: AbortController | undefined = undefined;
  /** The hub's calls in the order they started (so in the order they expire). */
  prev: Call | undefined = undefined;
  next: Call | undefined = undefined;
  /** The connection's calls. */
  slotPrev: Call | undefined = undefined;
  slotNext: Call | undefined = undefined;
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((error: HubError) => void) | undefined = undefined;

  constructor(
    readonly kind: string,
    readonly slot: CallSlot,
    readonly started: number,
    readonly due: number,
    readonly fn: (call: HandlerCall) => unknown,
  ) {}

  get signal(): AbortSignal {
    let controller = this.controller;
    if (controller === undefined) {
      controller = this.controller = new AbortController();
      if (this.aborted) controller.abort();
    }
    return controller.signal;
  }

  abortSignal(): void {
    this.aborted = true;
    this.controller?.abort();
  }
}

/** Options of {@linkcode HandlerCalls}. */
export interface HandlerCallsOptions {
  limits: HandlerLimits;
  clock: Clock;
  deadlines: Deadlines;
  metrics: HubMetrics;
  log(entry: LogEntry): void;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

/** Runs handlers for every session of one hub. */
export class HandlerCalls {
  #options: HandlerCallsOptions;
  #active = 0;
  #waiting: Call[] = [];
  /** Each connection's share, made at its first call: a connection keeps no field for it. */
  #slots = new WeakMap<object, CallSlot>();
  /** Calls not yet answered, oldest first: the order they expire in. */
  #first: Call | undefined = undefined;
  #last: Call | undefined = undefined;
  /** The one deadline, for the oldest call when it was armed. */
  #deadline: Deadline | undefined = undefined;

  constructor(options: HandlerCallsOptions) {
    this.#options = options;
  }

  /** The share of a connection (any object standing for it), made when first asked. */
  slotOf(owner: object): CallSlot {
    let slot = this.#slots.get(owner);
    if (slot === undefined) this.#slots.set(owner, slot = new CallSlot());
    return slot;
  }

  /**
   * Aborts the calls of a connection that closed: each is over for the hub
   * (rejected, its place freed) and its signal aborts. Nothing when it made none.
   */
  abort(owner: object): void {
    const slot = this.#slots.get(owner);
    if (slot === undefined) return;
    this.#slots.delete(owner);
    slot.closed = true;
    for (let call = slot.first; call !== undefined; call = slot.first) {
      this.#settle(call);
      call.abortSignal();
      call.reject!(new HubError("INTERNAL", `The connection closed during '${call.kind}'`));
    }
  }

  /**
   * Calls `fn` within the limits, as {@linkcode HandlerCalls.invoke}, and
   * always answers with a promise.
   *
   * @param kind The handler (`connect`, `publish`, `rpc`...), for metrics and logs.
   * @param slot The connection's share.
   * @param fn The handler call.
   */
  call<T>(kind: string, slot: CallSlot, fn: (call: HandlerCall) => T | Promise<T>): Promise<T> {
    try {
      const result = this.invoke(kind, slot, fn);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Calls `fn` within the limits. A handler that answers synchronously is
   * answered synchronously: its value is returned, or the failure thrown;
   * otherwise a promise settles with its result. Failures are
   * {@linkcode HubError}s: the handler's own, `RATE_LIMITED` past the
   * connection's bound, `TIMEOUT` past the time limit, `INTERNAL` when the
   * connection closed or for anything else it threw (logged with its
   * detail).
   *
   * @param kind The handler (`connect`, `publish`, `rpc`...), for metrics and logs.
   * @param slot The connection's share.
   * @param fn The handler call.
   */
  invoke<T>(
    kind: string,
    slot: CallSlot,
    fn: (call: HandlerCall) => T | Promise<T>,
  ): T | Promise<T> {
    const { limits, metrics, clock } = this.#options;
    increment(metrics.handlerCalls, kind);
    if (slot.active >= limits.maxConcurrentPerConnection) {
      increment(metrics.handlerErrors, kind);
      throw new HubError(
        "RATE_LIMITED",
        `Too many calls waiting for the application: at most ${limits.maxConcurrentPerConnection} per connection`,
      );
    }
    const started = clock.now();
    const call = new Call(kind, slot, started, started + limits.timeoutMs, fn);
    // A call for a connection already closed starts with its signal aborted.
    call.aborted = slot.closed;
    slot.active++;
    if (this.#active < limits.maxConcurrent) {
      this.#active++;
      call.state = RUNNING;
      let result: unknown;
      try {
        result = fn(call);
      } catch (error) {
        this.#done(call);
        increment(metrics.handlerErrors, kind);
        throw this.#failure(kind, error);
      }
      if (!isThenable(result)) {
        this.#done(call);
        return result as T;
      }
      const promise = this.#pending<T>(call);
      this.#follow(call, result);
      return promise;
    }
    const promise = this.#pending<T>(call);
    this.#waiting.push(call);
    return promise;
  }

  /** A call that waits for its answer: linked where its time limit and its connection's close find it. */
  #pending<T>(call: Call): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    call.resolve = resolve as (value: unknown) => void;
    call.reject = reject;
    if (this.#last === undefined) this.#first = call;
    else {
      this.#last.next = call;
      call.prev = this.#last;
    }
    this.#last = call;
    const slot = call.slot;
    if (slot.first !== undefined) {
      slot.first.slotPrev = call;
      call.slotNext = slot.first;
    }
    slot.first = call;
    if (this.#deadline === undefined) this.#arm(call.due);
    return promise;
  }

  #follow(call: Call, result: PromiseLike<unknown>): void {
    result.then((value) => {
      if (call.state === DONE) return;
      this.#settle(call);
      call.resolve!(value);
    }, (error) => {
      if (call.state === DONE) return;
      this.#settle(call);
      increment(this.#options.metrics.handlerErrors, call.kind);
      call.reject!(this.#failure(call.kind, error));
    });
  }

  /** The call is over for the hub: its places freed, its time observed. */
  #done(call: Call): void {
    const running = call.state === RUNNING;
    call.state = DONE;
    call.slot.active--;
    observe(
      this.#options.metrics.handlerSeconds,
      (this.#options.clock.now() - call.started) / 1000,
    );
    if (running) this.#release();
  }

  /** {@linkcode HandlerCalls.#done} for a pending call, unlinked from both lists. */
  #settle(call: Call): void {
    this.#done(call);
    if (call.prev === undefined) this.#first = call.next;
    else call.prev.next = call.next;
    if (call.next === undefined) this.#last = call.prev;
    else call.next.prev = call.prev;
    call.prev = call.next = undefined;
    const slot = call.slot;
    if (call.slotPrev === undefined) slot.first = call.slotNext;
    else call.slotPrev.slotNext = call.slotNext;
    if (call.slotNext !== undefined) call.slotNext.slotPrev = call.slotPrev;
    call.slotPrev = call.slotNext = undefined;
  }

  #arm(at: number): void {
    this.#deadline = this.#options.deadlines.add(at, this.#expire, this);
  }

  /** The oldest call's deadline: every call past its time limit gets `TIMEOUT`. */
  #expire(this: HandlerCalls): void {
    this.#deadline = undefined;
    const { clock, limits, metrics } = this.#options;
    const now = clock.now();
    let call = this.#first;
    while (call !== undefined && call.due <= now) {
      this.#settle(call);
      call.abortSignal();
      increment(metrics.handlerErrors, call.kind);
      call.reject!(
        new HubError(
          "TIMEOUT",
          `The application did not answer '${call.kind}' within ${limits.timeoutMs} ms`,
        ),
      );
      call = this.#first;
    }
    if (call !== undefined) this.#arm(call.due);
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

  /**
   * A running call ended: the next waiting one starts in its place. One
   * already answered (closed) or past its time limit (its `TIMEOUT` is on
   * the way) never starts.
   */
  #release(): void {
    const now = this.#options.clock.now();
    let next = this.#waiting.shift();
    while (next !== undefined && (next.state === DONE || next.due <= now)) {
      next = this.#waiting.shift();
    }
    if (next === undefined) {
      this.#active--;
      return;
    }
    this.#start(next);
  }

  #start(call: Call): void {
    call.state = RUNNING;
    let result: unknown;
    try {
      result = call.fn(call);
    } catch (error) {
      result = Promise.reject(error);
    }
    this.#follow(call, isThenable(result) ? result : Promise.resolve(result));
  }
}
