/**
 * {@linkcode Subscription}: the client's side of one subscribed topic or
 * pattern: its handlers, whether the hub confirmed it, its recovery position
 * (`{ offset, epoch }`) and the `subscribe` frame that (re)establishes it.
 * {@linkcode RealtimeClient} keeps one per topic and sends
 * {@linkcode Subscription.frame} after every (re)connect: on a topic with
 * history that frame carries `since`, so the hub replays what was missed.
 * Pattern subscriptions have no position and are not recovered.
 *
 * @module
 */

import { matchPattern } from "../topic/pattern.ts";
import { isPattern, validatePattern } from "../topic/topic.ts";
import { type Deferred, deferred } from "./_deferred.ts";
import { guard } from "./_guard.ts";
import type { RealtimeError } from "./errors.ts";
import type { TopicPosition } from "../protocol/frames.ts";
import type { VerifyKeys } from "./verified_handler.ts";

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
  /** On a topic with history: the publication's offset in the topic's stream. */
  readonly offset?: number;
  /**
   * For a signed publication: the compact JWS exactly as published, to
   * verify or to pass on. Without `verify`, `payload` is what the hub
   * decoded and nothing was checked here.
   */
  readonly jws?: string;
  /**
   * `true` on a subscription with `verify`: the signature verified and
   * `payload` is the signed `data` claim. Absent otherwise.
   */
  readonly verified?: true;
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
  /**
   * Ask the hub for `join` and `leave` events on this (concrete) topic,
   * delivered to the client's `presence` listeners. Needs the ACL action
   * `presence`. It applies from the next subscribe frame when the topic is
   * already subscribed without it.
   *
   * @default {false}
   */
  presence?: boolean;
  /**
   * Where to resume a concrete topic with history, for example a position the
   * application saved (`{ offset, epoch }` from a `subscribed` event or a
   * message's offset): the first subscribe recovers what was published after
   * it. Ignored when the topic is already subscribed.
   */
  since?: TopicPosition;
  /**
   * Verify every message before this handler sees it: the keys of the
   * topic's signer (a shared secret, a PEM public key or certificate, a
   * public JWK or a JWK set) or a verifier from `createPublicationVerifier`.
   * The handler then receives only messages whose `jws` verifies for their
   * topic, with the signed `data` as `payload` and `verified: true`, in the
   * order they arrived; any other message (bad signature, another topic's
   * signature, no `jws` at all) is dropped and reported to
   * `verification_failed` listeners. Keys verify in subscriber mode: `exp`
   * and `jti` are not checked, so messages recovered from history verify.
   * The verification code (and `jose`) is loaded by the first `verify`
   * subscription, not before: unusable keys reject its `ready`.
   *
   * @default {undefined}
   */
  verify?: VerifyKeys;
}

/** What the hub's reply to a subscribe said, as {@linkcode Subscription.confirm} takes it. */
export interface SubscribeReply {
  /** The topic's current offset, when it keeps history. */
  readonly offset?: number;
  /** The topic's current epoch, when it keeps history. */
  readonly epoch?: string;
  /** On a subscribe with `since`: whether every missed publication follows. */
  readonly recovered?: boolean;
}

/** The outcome of {@linkcode Subscription.confirm}. */
export interface Confirmation {
  /** Present when the frame carried `since`: whether the recovery was complete. */
  readonly recovered?: boolean;
  /** After a complete recovery: how many missed messages the replay brings. */
  readonly missed?: number;
  /** The position after the reply, when the topic keeps history. */
  readonly position?: TopicPosition;
}

/**
 * What {@linkcode Subscription.deliver} did with a message: handed it to the
 * handlers, dropped it as already delivered (or to be replayed), or found a
 * gap before it (the client then resubscribes with `since`).
 */
export type Delivery = "delivered" | "dropped" | "gap";

/** The `subscribe` frame of a {@linkcode Subscription}, without its request id. */
export interface SubscribeRequest {
  /** Frame type. */
  readonly type: "subscribe";
  /** The topic or pattern. */
  readonly topic: string;
  /** The position to recover from, on a concrete topic with a known position. */
  readonly since?: TopicPosition;
  /** Whether join and leave events are wanted. */
  readonly presence?: true;
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
  presence: boolean;
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
 *
 * @example Track a position and drop a replayed duplicate
 * ```ts
 * import { Subscription } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * const sub = new Subscription("chat:lobby");
 * const seen: unknown[] = [];
 * sub.add((msg) => seen.push(msg.offset), {});
 * sub.frame();
 * sub.confirm({ offset: 4, epoch: "e1" });
 * const msg = (offset: number) => ({ topic: "chat:lobby", payload: 0, from: null, ts: 0, offset });
 * assert.equal(sub.deliver(msg(5)), "delivered");
 * assert.equal(sub.deliver(msg(5)), "dropped");
 * assert.equal(sub.deliver(msg(7)), "gap");
 * assert.deepEqual(sub.position, { offset: 5, epoch: "e1" });
 * // After a reconnect, the frame asks to recover from there.
 * sub.unconfirm();
 * assert.deepEqual(sub.frame().since, { offset: 5, epoch: "e1" });
 * assert.deepEqual(seen, [5]);
 * ```
 */
export class Subscription {
  /** The topic or pattern. */
  readonly topic: string;
  readonly #entries = new Set<Entry>();
  readonly #recoverable: boolean;
  #confirmed = false;
  #position: TopicPosition | undefined;
  #sentSince: TopicPosition | undefined;
  #lostRecovery = false;

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
    this.#recoverable = !isPattern(topic);
  }

  /**
   * The topic's position: the epoch from the hub's last reply and the offset
   * of the last message delivered (or of that reply). `undefined` for a
   * pattern, a topic without history, or before the first reply.
   */
  get position(): TopicPosition | undefined {
    return this.#position === undefined ? undefined : { ...this.#position };
  }

  /**
   * Gives up recovering (the hub said the topic keeps no history): the next
   * subscribe frame carries no `since`, and its confirmation reports
   * `recovered: false`.
   */
  abandonRecovery(): void {
    this.#position = undefined;
    this.#lostRecovery = true;
  }

  /**
   * Sets the position to recover from on the next subscribe frame.
   *
   * @param position A position the application saved.
   * @throws {TypeError} For a pattern, or a position that is not `{ offset, epoch }`
   * with a non-negative safe integer and a non-empty string.
   */
  resumeFrom(position: TopicPosition): void {
    if (!this.#recoverable) {
      throw new TypeError(`Cannot resume '${this.topic}': a pattern subscription is not recovered`);
    }
    const { offset, epoch } = (position ?? {}) as Partial<TopicPosition>;
    if (
      typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0 ||
      typeof epoch !== "string" || epoch.length === 0
    ) {
      throw new TypeError(
        `Cannot resume '${this.topic}' from ${
          JSON.stringify({ offset, epoch }).slice(0, 80)
        }: give { offset: a non-negative integer, epoch: a non-empty string }`,
      );
    }
    this.#position = { offset, epoch };
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
    const entry: Entry = {
      handler,
      onError: options.onError,
      presence: options.presence === true,
      ready,
    };
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
    const since = this.#recoverable ? this.#position : undefined;
    this.#sentSince = since === undefined ? undefined : { ...since };
    let presence = false;
    for (const entry of this.#entries) presence ||= entry.presence;
    const frame: { type: "subscribe"; topic: string; since?: TopicPosition; presence?: true } = {
      type: "subscribe",
      topic: this.topic,
    };
    if (since !== undefined) frame.since = { ...since };
    if (presence && this.#recoverable) frame.presence = true;
    return frame;
  }

  /**
   * The hub confirmed it: every handler's `ready` resolves, and the position
   * follows the reply. After a complete recovery the position stays where it
   * was (the replay follows and moves it); otherwise it jumps to the reply's.
   *
   * @param reply What the reply said about the topic's stream.
   * @returns Whether a recovery was complete, and the position.
   */
  confirm(reply: SubscribeReply = {}): Confirmation {
    this.#confirmed = true;
    for (const entry of this.#entries) entry.ready.resolve();
    const since = this.#sentSince;
    this.#sentSince = undefined;
    const lost = this.#lostRecovery;
    this.#lostRecovery = false;
    const { offset, epoch } = reply;
    const streamed = this.#recoverable && typeof offset === "number" &&
      Number.isSafeInteger(offset) && offset >= 0 && typeof epoch === "string";
    // A reply without a position: a topic without history, where nothing can
    // be recovered (never report a recovery that did not happen).
    const recovered = since === undefined
      ? (lost ? false : undefined)
      : streamed && reply.recovered === true && epoch === since.epoch;
    let missed: number | undefined;
    if (!streamed) {
      this.#position = undefined;
    } else if (!recovered || this.#position?.epoch !== epoch) {
      this.#position = { offset, epoch };
    } else {
      missed = Math.max(0, offset - this.#position.offset);
    }
    const position = this.position;
    if (recovered === undefined) return position === undefined ? {} : { position };
    if (position === undefined) return { recovered };
    return missed === undefined ? { recovered, position } : { recovered, missed, position };
  }

  /** The connection it was confirmed on is gone (or it is being sent again). */
  unconfirm(): void {
    this.#confirmed = false;
  }

  /**
   * Calls every handler; one that throws is reported and does not stop the
   * others. On a concrete topic with a position, a message whose offset is
   * not the next one is not delivered.
   *
   * @param message The message.
   * @returns `"delivered"`, `"dropped"` (a duplicate, or one the pending
   * replay brings) or `"gap"` (a message is missing before it).
   */
  deliver(message: RealtimeMessage): Delivery {
    const offset = message.offset;
    const position = this.#position;
    if (offset !== undefined && position !== undefined && this.#recoverable) {
      // Never twice, never out of order: at or below the position it was
      // delivered already; above the next one something is missing. While a
      // resubscribe is pending only the very next offset can be taken, the
      // rest comes with the replay.
      if (offset <= position.offset) return "dropped";
      if (offset > position.offset + 1) return this.#confirmed ? "gap" : "dropped";
      position.offset = offset;
    }
    for (const entry of [...this.#entries]) guard(() => entry.handler(message));
    return "delivered";
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
