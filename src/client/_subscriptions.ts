// The client's subscriptions: one `Subscription` per topic or pattern, each
// sent on every `welcome` from the position it reached (so missed messages
// are recovered), confirmed by the hub's `ack`, subscribed again when its
// stream has a gap, and its state reported when it changes. Messages and
// presence events go to the subscriptions they match.

import type { AckFrame, MessageFrame, ServerFrame } from "../protocol/frames.ts";
import { RealtimeError } from "./errors.ts";
import type { Emitter } from "./_emitter.ts";
import type { RealtimeEvents, SubscriptionState } from "./events.ts";
import {
  type MessageHandler,
  type RealtimeMessage,
  type SubscribeOptions,
  Subscription,
} from "./subscription.ts";
import type { VerifiedHandler } from "./verified_handler.ts";
import { loadVerifiedHandler } from "./_load_verified_handler.ts";
import { presenceEvent } from "./presence.ts";
import type { Link } from "./_link.ts";
import type { Outbox } from "./_outbox.ts";

/** `Unsubscribe` of `RealtimeClient.subscribe`. */
export interface Unsubscriber {
  (): void;
  readonly ready: Promise<void>;
}

export class Subscriptions {
  readonly #link: Link;
  readonly #outbox: Outbox;
  readonly #events: Emitter<RealtimeEvents>;
  readonly #subs = new Map<string, Subscription>();
  /** `topics` until `#subs` changes, so it is a stable snapshot. */
  #topics: readonly string[] | undefined;
  /** The last state reported for each topic not `unsubscribed`. */
  readonly #states = new Map<string, SubscriptionState>();
  readonly #confirmedOnce = new WeakSet<Subscription>();
  /** Subscribe requests waiting for their ack, by request id. */
  readonly #subscribing = new Map<number, Subscription>();
  /** The `verify` handlers, cancelled on close. */
  readonly #verifying = new Set<VerifiedHandler>();

  constructor(link: Link, outbox: Outbox, events: Emitter<RealtimeEvents>) {
    this.#link = link;
    this.#outbox = outbox;
    this.#events = events;
  }

  /** `RealtimeClient.subscriptions`. */
  get subscriptions(): readonly string[] {
    return this.#topics ??= [...this.#subs.keys()];
  }

  /** `RealtimeClient.subscriptionState`. */
  subscriptionState(topic: string): SubscriptionState {
    const sub = this.#subs.get(topic);
    return sub === undefined ? "unsubscribed" : sub.confirmed ? "subscribed" : "subscribing";
  }

  /** `RealtimeClient.subscribe`. */
  subscribe(topic: string, handler: MessageHandler, options: SubscribeOptions): Unsubscriber {
    if (
      options.verify === undefined || typeof handler !== "function" ||
      this.#link.state === "closed"
    ) {
      return this.#subscribe(topic, handler, options, undefined);
    }
    // The verifier needs jose, which a client that never verifies never
    // loads: nothing is subscribed until it is ready, so unusable keys (or a
    // failed load) reject `ready` with nothing changed.
    new Subscription(topic); // throws now for an invalid topic
    let cancelled = false;
    let inner: Unsubscriber | undefined;
    const ready = loadVerifiedHandler(
      handler,
      options.verify,
      (failure) => this.#events.emit("verification_failed", failure),
    ).then((verifying) => {
      if (cancelled) return;
      inner = this.#subscribe(topic, verifying.handler, options, verifying);
      return inner.ready;
    });
    ready.catch(() => {});
    const unsubscribe = () => {
      cancelled = true;
      inner?.();
    };
    return Object.assign(unsubscribe, { ready });
  }

  /** The link opened: every subscription is sent, from where it stands. */
  open(): void {
    for (const sub of this.#subs.values()) this.#send(sub);
  }

  /**
   * Handles a frame after the link's own: a message, presence, a gap or an
   * end goes to the subscriptions it concerns; an `ack` or another answer
   * settles its request (a subscribe's `ack` confirms the subscription).
   */
  frame(frame: ServerFrame): void {
    switch (frame.type) {
      case "message":
        return this.#deliver(frame);
      case "join":
      case "leave":
        if (this.#subs.has(frame.topic)) this.#events.emit("presence", presenceEvent(frame));
        return;
      case "insufficient_state": {
        const sub = this.#subs.get(frame.topic);
        if (sub !== undefined) this.#resubscribe(sub);
        return;
      }
      case "unsubscribed": {
        const sub = this.#subs.get(frame.topic);
        if (sub === undefined) return;
        this.#subs.delete(frame.topic);
        const ended = new RealtimeError(
          frame.code,
          `The hub ended the subscription to '${frame.topic}' (${frame.code})`,
          { topic: frame.topic },
        );
        this.#note(frame.topic, ended);
        this.#fail(sub, ended);
        return;
      }
      case "ack": {
        const sub = typeof frame.id === "number" ? this.#subscribing.get(frame.id) : undefined;
        if (this.#outbox.answer(frame) && sub !== undefined) this.#answered(sub, frame);
        return;
      }
      default:
        this.#outbox.answer(frame);
    }
  }

  /** The connection was lost: every subscription waits to be confirmed again. */
  lost(): void {
    for (const sub of this.#subs.values()) {
      sub.unconfirm();
      this.#note(sub.topic);
    }
  }

  /** The client closed: every subscription ends with `closed`. */
  close(closed: RealtimeError): void {
    for (const sub of this.#subs.values()) sub.close(closed);
    this.#subs.clear();
    for (const topic of [...this.#states.keys()]) this.#note(topic);
    for (const verifying of this.#verifying) verifying.cancel();
    this.#verifying.clear();
  }

  /** Adds a handler (wrapped by `verifying` when it verifies) and subscribes a new topic. */
  #subscribe(
    topic: string,
    handler: MessageHandler,
    options: SubscribeOptions,
    verifying: VerifiedHandler | undefined,
  ): Unsubscriber {
    const sub = this.#subs.get(topic) ?? new Subscription(topic);
    const state = this.#link.state;
    if (state === "closed") {
      verifying?.cancel();
      // Validates the handler as an open client would, then refuses.
      sub.add(handler, options).remove();
      const refused = Promise.reject(this.#link.closedError());
      refused.catch(() => {});
      return Object.assign(() => {}, { ready: refused });
    }
    if (!this.#subs.has(topic) && options.since !== undefined) sub.resumeFrom(options.since);
    const handle = sub.add(handler, options);
    if (verifying !== undefined) this.#verifying.add(verifying);
    if (!this.#subs.has(topic)) {
      this.#subs.set(topic, sub);
      this.#topics = undefined;
      if (state === "open") this.#send(sub);
      else this.#note(topic);
    }
    let called = false;
    const unsubscribe = () => {
      if (called) return;
      called = true;
      if (verifying !== undefined) {
        verifying.cancel();
        this.#verifying.delete(verifying);
      }
      const empty = handle.remove();
      if (!empty || this.#subs.get(topic) !== sub) return;
      this.#subs.delete(topic);
      this.#note(topic);
      if (this.#link.state === "open") {
        this.#outbox.request({ type: "unsubscribe", topic }, "Unsubscribe");
      }
    };
    return Object.assign(unsubscribe, { ready: handle.ready });
  }

  #deliver(frame: MessageFrame): void {
    const message: { -readonly [K in keyof RealtimeMessage]: RealtimeMessage[K] } = {
      topic: frame.topic,
      payload: frame.payload,
      from: frame.from,
      ts: frame.ts,
    };
    if (frame.event !== undefined) message.event = frame.event;
    if (typeof frame.offset === "number") message.offset = frame.offset;
    if (typeof frame.jws === "string") message.jws = frame.jws;
    const topic = frame.topic;
    if (topic !== null) {
      for (const sub of [...this.#subs.values()]) {
        if (sub.matches(topic) && sub.deliver(message) === "gap") this.#resubscribe(sub);
      }
    }
    if (message.event !== undefined) this.#events.emit("notification", message);
  }

  #send(sub: Subscription): void {
    sub.unconfirm();
    this.#note(sub.topic);
    const frame = sub.frame();
    // The ack is handled as it is read (`frame()`, through `#subscribing`),
    // not when this promise settles: the replay follows it in the same
    // batch, and must meet the position the ack set.
    const { id, answered } = this.#outbox.send(
      frame,
      "Subscribe",
      undefined,
      () => this.#subscribing.delete(id),
    );
    this.#subscribing.set(id, sub);
    answered.then(
      () => {},
      (error: RealtimeError) => {
        if (this.#subs.get(sub.topic) !== sub) return;
        // After a drop the subscription is sent again on reconnect; on close
        // the waiters were already told.
        if (error.code === "DISCONNECTED" || error.code === "CLOSED") return;
        if (error.code === "NO_HISTORY" && frame.since !== undefined) {
          // The topic no longer keeps history: subscribe without recovering.
          sub.abandonRecovery();
          if (this.#link.state === "open") this.#send(sub);
          return;
        }
        if (error.code !== "TIMEOUT") {
          this.#subs.delete(sub.topic);
          this.#note(sub.topic, error);
        }
        this.#fail(sub, error);
      },
    );
  }

  #answered(sub: Subscription, reply: AckFrame): void {
    if (this.#subs.get(sub.topic) !== sub) return;
    const { offset, epoch, recovered } = reply;
    const confirmation = sub.confirm({ offset, epoch, recovered });
    this.#note(sub.topic);
    const resubscribed = this.#confirmedOnce.has(sub);
    this.#confirmedOnce.add(sub);
    this.#events.emit("subscribed", { topic: sub.topic, resubscribed, ...confirmation });
  }

  /**
   * The topic's stream has a gap (seen here or told by the hub): subscribe
   * again from the position, unsubscribing first so the hub starts afresh.
   * Both frames leave back to back; a resubscribe already pending is enough.
   */
  #resubscribe(sub: Subscription): void {
    if (this.#link.state !== "open" || !sub.confirmed) return;
    sub.unconfirm();
    this.#outbox.request({ type: "unsubscribe", topic: sub.topic }, "Unsubscribe");
    this.#send(sub);
  }

  #fail(sub: Subscription, error: RealtimeError): void {
    sub.fail(error);
    this.#events.emit("error", error);
  }

  /**
   * Reports a topic's subscription state when it differs from the last one
   * reported, and renews the `topics` snapshot when it ended.
   */
  #note(topic: string, error?: RealtimeError): void {
    const state = this.subscriptionState(topic);
    const previous = this.#states.get(topic) ?? "unsubscribed";
    if (state === "unsubscribed") {
      this.#states.delete(topic);
      this.#topics = undefined;
    } else this.#states.set(topic, state);
    if (state === previous) return;
    this.#events.emit("subscription_state", topic, state, error === undefined ? {} : { error });
  }
}
