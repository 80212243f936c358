// Request/answer bookkeeping: ids, timeouts and settling by the `id` the
// server echoes. Time comes from an injected clock.

import type { ServerFrame } from "../protocol/frames.ts";
import { deferred } from "./_deferred.ts";
import { RealtimeError } from "./errors.ts";
import type { ClientClock } from "./options.ts";

/** A successful answer. */
export type Reply = Extract<
  ServerFrame,
  { type: "ack" | "pong" | "welcome" | "history" | "presence" | "presence_stats" | "rpc" }
>;

const REPLY_TYPES: ReadonlySet<string> = new Set<Reply["type"]>([
  "ack",
  "pong",
  "welcome",
  "history",
  "presence",
  "presence_stats",
  "rpc",
]);

export interface RequestOptions {
  /** Deadline, from now. */
  timeoutMs: number;
  /** For messages: "Publish to 'chat:a'". */
  what: string;
  /** The topic, carried into errors. */
  topic?: string;
  /** Runs once when the request settles, however it settles. */
  onSettle?: () => void;
  /**
   * The frame to send again when the connection drops after it was sent
   * and before it was answered (a publish with an idempotency key).
   */
  resend?: string;
}

interface Entry {
  options: RequestOptions;
  timer: unknown;
  sent: boolean;
  resolve: (reply: Reply) => void;
  reject: (error: RealtimeError) => void;
}

export class Requests {
  #clock: ClientClock;
  #next = 0;
  #pending = new Map<number, Entry>();

  constructor(clock: ClientClock) {
    this.#clock = clock;
  }

  /** A fresh id; ids are small integers, well inside the protocol's bound. */
  nextId(): number {
    this.#next = this.#next >= Number.MAX_SAFE_INTEGER ? 1 : this.#next + 1;
    return this.#next;
  }

  /** Registers a request; its promise settles on the answer, a timeout, or `reject`. */
  add(id: number, options: RequestOptions): Promise<Reply> {
    const { promise, resolve, reject } = deferred<Reply>();
    const timer = this.#clock.setTimer(() => {
      this.#settle(id)?.reject(
        new RealtimeError(
          "TIMEOUT",
          `${options.what} was not answered within ${options.timeoutMs} ms`,
          { retry: true, topic: options.topic },
        ),
      );
    }, options.timeoutMs);
    this.#pending.set(id, { options, timer, sent: false, resolve, reject });
    return promise;
  }

  has(id: number): boolean {
    return this.#pending.has(id);
  }

  markSent(id: number): void {
    const entry = this.#pending.get(id);
    if (entry !== undefined) entry.sent = true;
  }

  /** Settles the request a frame answers; returns whether one was waiting. */
  answer(frame: ServerFrame): boolean {
    const id = "id" in frame ? frame.id : undefined;
    if (typeof id !== "number") return false;
    if (frame.type === "error") {
      const topic = this.#pending.get(id)?.options.topic;
      const entry = this.#settle(id);
      entry?.reject(new RealtimeError(frame.code, frame.message, { retry: frame.retry, topic }));
      return entry !== undefined;
    }
    if (!REPLY_TYPES.has(frame.type)) return false;
    const entry = this.#settle(id);
    entry?.resolve(frame as Reply);
    return entry !== undefined;
  }

  /** Rejects one request. */
  reject(id: number, error: RealtimeError): void {
    this.#settle(id)?.reject(error);
  }

  /**
   * Rejects every request for which `errorFor` returns an error (given
   * whether it was sent and its options); keeps the others.
   */
  rejectWhere(
    errorFor: (sent: boolean, options: RequestOptions) => RealtimeError | undefined,
  ): void {
    for (const [id, entry] of [...this.#pending]) {
      const error = errorFor(entry.sent, entry.options);
      if (error !== undefined) this.#settle(id)?.reject(error);
    }
  }

  /**
   * The requests that were sent, are still waiting, and may be sent again,
   * oldest first, each marked unsent: the connection they went on is gone.
   */
  takeResends(): [id: number, text: string][] {
    const resends: [number, string][] = [];
    for (const [id, entry] of this.#pending) {
      if (!entry.sent || entry.options.resend === undefined) continue;
      entry.sent = false;
      resends.push([id, entry.options.resend]);
    }
    return resends;
  }

  #settle(id: number): Entry | undefined {
    const entry = this.#pending.get(id);
    if (entry === undefined) return undefined;
    this.#pending.delete(id);
    this.#clock.clearTimer(entry.timer);
    entry.options.onSettle?.();
    return entry;
  }
}

/** A request frame without its id. */
export type OutgoingRequest = Readonly<{
  type: string;
  topic?: string;
  token?: string;
  since?: object;
  presence?: boolean;
  limit?: number;
  reverse?: boolean;
  method?: string;
  data?: unknown;
}>;
