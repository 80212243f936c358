/**
 * {@linkcode Subscription}: the client's side of one subscribed topic or
 * pattern: its handlers, whether the hub confirmed it, and the `subscribe`
 * frame that (re)establishes it. {@linkcode RealtimeClient} keeps one per
 * topic and sends {@linkcode Subscription.frame} after every (re)connect; a
 * recovery position (`{ offset, epoch }`) will live here and travel in that
 * frame.
 *
 * @module
 */

import { matchPattern } from "../topic/pattern.ts";
import { isPattern, validatePattern } from "../topic/topic.ts";
import { type Deferred, deferred } from "./_deferred.ts";
import { guard } from "./_guard.ts";
import type { RealtimeError } from "./errors.ts";

/** A publication received on a subscribed topic, or a message sent directly to the user. */
export interface RealtimeMessage<T = unknown> {
  /**
   * The concrete topic it was published on; `null` for a message the server
   * sent directly to this user (`sendToUser`, a broadcast to users), which
   * reaches `notification` listeners only.
   */
  readonly topic: string | null;
  /** The published payload. */
  readonly payload: T;
  /** The publisher's subject, or `null` for messages from the server. */
  readonly from: string | null;
  /** Publication time, epoch milliseconds. */
  readonly ts: number;
  /** The event name of a server-pushed notification. */
  readonly event?: string;
}

/** Receives the messages of a subscription. */
export type MessageHandler<T = unknown> = (message: RealtimeMessage<T>) => void;

/** Options of {@linkcode RealtimeClient.subscribe}. */
export interface SubscribeOptions {
  /**
   * Called when the subscription is refused or ended by the server (for
   * example `FORBIDDEN`, also after a reconnect or a token refresh).
   */
  onError?: (error: RealtimeError) => void;
}

/** The `subscribe` frame of a {@linkcode Subscription}, without its request id. */
export interface SubscribeRequest {
  /** Frame type. */
  readonly type: "subscribe";
  /** The topic or pattern. */
  readonly topic: string;
}

/** One handler's hold on a {@linkcode Subscription}. */
export interface SubscriptionHandle {
  /** Settles when the hub confirmed the subscription (or the handle was removed first). */
  readonly ready: Promise<void>;
  /**
   * Removes the handler (idempotent).
   *
   * @returns Whether the subscription has no handlers left.
   */
  remove(): boolean;
}

interface Entry {
  handler: MessageHandler;
  onError: ((error: RealtimeError) => void) | undefined;
  ready: Deferred<void>;
}

/**
 * A topic or pattern the client is subscribed to, with its handlers.
 *
 * @example Deliver to the handlers of a pattern
 * ```ts
 * import { Subscription } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * const sub = new Subscription("chat:*");
 * const seen: unknown[] = [];
 * const handle = sub.add((msg) => seen.push(msg.payload), {});
 * assert.deepEqual(sub.frame(), { type: "subscribe", topic: "chat:*" });
 * sub.confirm();
 * await handle.ready;
 * if (sub.matches("chat:lobby")) {
 *   sub.deliver({ topic: "chat:lobby", payload: "hi", from: "bob", ts: 0 });
 * }
 * assert.deepEqual(seen, ["hi"]);
 * assert.equal(handle.remove(), true);
 * ```
 */
export class Subscription {
  /** The topic or pattern. */
  readonly topic: string;
  readonly #entries = new Set<Entry>();
  #confirmed = false;

  /**
   * Creates a subscription with no handlers yet.
   *
   * @param topic A topic or pattern (`chat:lobby`, `chat:*`, `org:acme:**`).
   * @throws {TypeError} When it is not a valid topic or pattern.
   */
  constructor(topic: string) {
    const problem = validatePattern(topic);
    if (problem !== undefined) throw new TypeError(`Cannot subscribe: ${problem}`);
    this.topic = topic;
  }

  /** Whether the hub confirmed it on the current connection. */
  get confirmed(): boolean {
    return this.#confirmed;
  }

  /** How many handlers it has. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Whether a message on a concrete topic is for this subscription.
   *
   * @param topic The message's topic.
   * @returns `true` for the same topic or one the pattern matches.
   */
  matches(topic: string): boolean {
    return this.topic === topic || (isPattern(this.topic) && matchPattern(this.topic, topic));
  }

  /**
   * Adds a handler.
   *
   * @param handler Called with every matching message.
   * @param options Where to report a refusal.
   * @returns The handler's hold: `ready` and `remove()`.
   * @throws {TypeError} When the handler is not a function.
   */
  add(handler: MessageHandler, options: SubscribeOptions): SubscriptionHandle {
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot subscribe to '${this.topic}' with a handler of type ${typeof handler}`,
      );
    }
    const ready = deferred<void>();
    ready.promise.catch(() => {});
    const entry: Entry = { handler, onError: options.onError, ready };
    this.#entries.add(entry);
    if (this.#confirmed) ready.resolve();
    return {
      ready: ready.promise,
      remove: () => {
        this.#entries.delete(entry);
        ready.resolve();
        return this.#entries.size === 0;
      },
    };
  }

  /**
   * The frame that subscribes on a (new) connection.
   *
   * @returns The `subscribe` frame without its id.
   */
  frame(): SubscribeRequest {
    return { type: "subscribe", topic: this.topic };
  }

  /** The hub confirmed it: every handler's `ready` resolves. */
  confirm(): void {
    this.#confirmed = true;
    for (const entry of this.#entries) entry.ready.resolve();
  }

  /** The connection it was confirmed on is gone (or it is being sent again). */
  unconfirm(): void {
    this.#confirmed = false;
  }

  /**
   * Calls every handler; one that throws is reported and does not stop the others.
   *
   * @param message The message.
   */
  deliver(message: RealtimeMessage): void {
    for (const entry of [...this.#entries]) guard(() => entry.handler(message));
  }

  /**
   * The hub refused or ended it: `ready` rejects and `onError` is called.
   *
   * @param error Why.
   */
  fail(error: RealtimeError): void {
    for (const entry of [...this.#entries]) {
      entry.ready.reject(error);
      if (entry.onError !== undefined) guard(() => entry.onError!(error));
    }
  }

  /**
   * The client closed: every `ready` still waiting rejects.
   *
   * @param error Why.
   */
  close(error: RealtimeError): void {
    for (const entry of this.#entries) entry.ready.reject(error);
  }
}
