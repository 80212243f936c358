// This process's subscriptions to topics and patterns, and delivery to them:
// each local subscription gets each message once, in arrival order, and a
// subscription made while a message is delivered does not get that message.

import { matchPattern } from "../../topic/pattern.ts";
import { isPattern } from "../../topic/topic.ts";
import type { EngineListener, EngineSubscription, LostEvent } from "../engine.ts";
import type { ChannelMessage } from "./_codec.ts";
import { patternGlob } from "./_names.ts";

const DONE: Promise<void> = Promise.resolve();

/** One local subscription. */
export interface LocalSubscription extends EngineSubscription {
  readonly listener: EngineListener;
  /** The topic or pattern subscribed to. */
  readonly name: string;
  /** The delivery sequence number current when it subscribed: later ones reach it. */
  readonly from: number;
}

export class LocalSubscriptions {
  #prefix: string;
  #onListenerError: (error: unknown) => void;
  #exact = new Map<string, Set<LocalSubscription>>();
  #patterns = new Map<string, Set<LocalSubscription>>();
  /** Redis glob -> the local patterns it stands for (several patterns can share one). */
  #globs = new Map<string, Set<string>>();
  #sequence = 0;

  constructor(prefix: string, onListenerError: (error: unknown) => void) {
    this.#prefix = prefix;
    this.#onListenerError = onListenerError;
  }

  /**
   * Adds a subscription to a topic or pattern. `released` runs once when the
   * last subscription of that topic or pattern leaves, with the pattern's
   * glob when it was a pattern and no other pattern uses that glob any more.
   */
  add(
    name: string,
    listener: EngineListener,
    released: (name: string, glob: string | undefined) => void,
  ): LocalSubscription {
    const pattern = isPattern(name);
    const index = pattern ? this.#patterns : this.#exact;
    let set = index.get(name);
    if (set === undefined) index.set(name, set = new Set());
    const glob = pattern ? patternGlob(this.#prefix, name) : undefined;
    if (glob !== undefined) {
      let patterns = this.#globs.get(glob);
      if (patterns === undefined) this.#globs.set(glob, patterns = new Set());
      patterns.add(name);
    }
    const subscriptions = set;
    let active = true;
    const subscription: LocalSubscription = {
      listener,
      name,
      from: this.#sequence,
      unsubscribe: () => {
        if (!active) return DONE;
        active = false;
        subscriptions.delete(subscription);
        if (subscriptions.size > 0 || index.get(name) !== subscriptions) return DONE;
        index.delete(name);
        let unusedGlob: string | undefined;
        if (glob !== undefined) {
          const patterns = this.#globs.get(glob);
          patterns?.delete(name);
          if (patterns?.size === 0) {
            this.#globs.delete(glob);
            unusedGlob = glob;
          }
        }
        released(name, unusedGlob);
        return DONE;
      },
    };
    set.add(subscription);
    return subscription;
  }

  /** Topics with exact local subscriptions. */
  topics(): IterableIterator<string> {
    return this.#exact.keys();
  }

  /** Globs some local pattern subscription needs. */
  globs(): string[] {
    return [...this.#globs.keys()];
  }

  hasTopic(topic: string): boolean {
    return this.#exact.has(topic);
  }

  hasGlob(glob: string): boolean {
    return this.#globs.has(glob);
  }

  /** Whether any local subscription, exact or by pattern, receives `topic`. */
  receives(topic: string): boolean {
    if (this.#exact.has(topic)) return true;
    for (const pattern of this.#patterns.keys()) if (matchPattern(pattern, topic)) return true;
    return false;
  }

  /** Whether a message on `topic` that arrived through `glob` has a local taker. */
  wantsFromGlob(glob: string, topic: string): boolean {
    const patterns = this.#globs.get(glob);
    if (patterns === undefined) return false;
    for (const pattern of patterns) if (matchPattern(pattern, topic)) return true;
    return false;
  }

  /** Delivers a message that arrived on the topic's own channel. */
  deliverExact(topic: string, message: ChannelMessage): void {
    const subscriptions = this.#exact.get(topic);
    if (subscriptions === undefined) return;
    const sequence = ++this.#sequence;
    for (const subscription of subscriptions) this.#call(subscription, sequence, topic, message);
  }

  /** Delivers a message that arrived through a glob, to the patterns that truly match. */
  deliverGlob(glob: string, topic: string, message: ChannelMessage): void {
    const patterns = this.#globs.get(glob);
    if (patterns === undefined) return;
    const sequence = ++this.#sequence;
    for (const pattern of patterns) {
      // Redis's glob is wider than the pattern: filter exactly here.
      if (!matchPattern(pattern, topic)) continue;
      for (const subscription of this.#patterns.get(pattern) ?? []) {
        this.#call(subscription, sequence, topic, message);
      }
    }
  }

  /** Tells every subscription receiving `topic` (exact and by pattern) that it lost deliveries. */
  lostTopic(event: LostEvent): void {
    for (const subscription of this.#exact.get(event.topic) ?? []) this.#lost(subscription, event);
    for (const [pattern, set] of this.#patterns) {
      if (!matchPattern(pattern, event.topic)) continue;
      for (const subscription of set) this.#lost(subscription, event);
    }
  }

  /** Tells the exact subscriptions of the topics `onShard` selects, and every pattern subscription, that they reconnected. */
  lostReconnect(onShard: (topic: string) => boolean): void {
    const affected: LocalSubscription[] = [];
    for (const [topic, set] of this.#exact) if (onShard(topic)) affected.push(...set);
    for (const set of this.#patterns.values()) affected.push(...set);
    for (const subscription of affected) {
      this.#lost(subscription, { topic: subscription.name, reason: "reconnect" });
    }
  }

  clear(): void {
    this.#exact.clear();
    this.#patterns.clear();
    this.#globs.clear();
  }

  #call(
    subscription: LocalSubscription,
    sequence: number,
    topic: string,
    message: ChannelMessage,
  ): void {
    // A subscription made while this message is delivered does not receive it.
    if (subscription.from >= sequence) return;
    try {
      if (message.kind === "publication") {
        const { publication, offset, epoch } = message;
        subscription.listener.onPublication(
          offset === undefined ? { topic, publication } : { topic, publication, offset, epoch },
        );
      } else {
        subscription.listener.onPresence?.({ topic, type: message.kind, entry: message.entry });
      }
    } catch (error) {
      this.#onListenerError(error);
    }
  }

  #lost(subscription: LocalSubscription, event: LostEvent): void {
    try {
      subscription.listener.onLost?.(event);
    } catch (error) {
      this.#onListenerError(error);
    }
  }
}
