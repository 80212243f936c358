/**
 * Fan-out: which local connections receive which topics, and the engine
 * subscriptions that bring every publication for them to this process. A
 * subscription is registered only once the engine holds its topic; each
 * publication is handed to every subscriber as one {@linkcode Outgoing},
 * encoded once per codec, whatever the number of subscribers.
 *
 * @module
 */

import type { Delivery, Engine, EngineSubscription, PresenceEvent } from "../engine/engine.ts";
import type { LogEntry } from "./log.ts";
import { type HubMetrics, increment } from "./metrics.ts";
import { createRegistry, type Registry } from "./registry.ts";
import { Multimap } from "./_multimap.ts";
import { isPattern } from "../topic/topic.ts";
import { Outgoing } from "./codec/outgoing.ts";

/** What the fan-out delivers to: one connection. */
export interface FanoutSubscriber {
  /**
   * Receives one publication, shared by every subscriber and encoded once
   * per codec; its `offset` is its position when the topic keeps history.
   */
  deliver(publication: Outgoing): void;
  /**
   * Whether this subscriber takes `topic`'s publications through `pattern`:
   * a connection subscribed to a topic both exactly and by patterns takes
   * them once, through the exact subscription or else the first pattern.
   */
  takesThrough(pattern: string, topic: string): boolean;
  /** A join or leave on a topic it follows presence of. */
  presence(event: PresenceEvent): void;
  /** The engine may have missed publications of `topic` for it. */
  lost(topic: string): void;
}

/** Options of {@linkcode createFanout}. */
export interface FanoutOptions {
  /** Carries publications between processes. */
  engine: Engine;
  /** Counts the messages delivered. */
  metrics: HubMetrics;
  /** Reports an engine that failed to let go of a topic. */
  log(entry: LogEntry): void;
}

/** Local subscriptions over an engine, created by {@linkcode createFanout}. */
export interface Fanout<S extends FanoutSubscriber> {
  /** The local subscriptions (read them; change them through `hold`/`add`/`remove`). */
  readonly registry: Readonly<Registry<S>>;
  /**
   * Makes sure the engine holds a topic or pattern before a first local
   * subscriber is added. Returns `undefined` when it already does (the
   * common, allocation-free case), else a promise that settles when the
   * engine answered; it rejects when the engine could not subscribe.
   */
  hold(topicOrPattern: string): Promise<void> | undefined;
  /** Registers a subscriber; call only once `hold` settled. */
  add(topicOrPattern: string, subscriber: S): void;
  /** Ends a subscription; the engine lets go of a topic its last subscriber left. */
  remove(topicOrPattern: string, subscriber: S): void;
  /**
   * Lets the engine go of a topic held for a subscriber that went away
   * while `hold` was pending, unless someone else subscribed meanwhile.
   */
  release(topicOrPattern: string): void;
  /**
   * Delivers a concrete topic's joins and leaves to a subscriber (a
   * subscription made with `presence: true`); `false` when it already was.
   */
  follow(topic: string, subscriber: S): boolean;
  /** Stops delivering a topic's joins and leaves to a subscriber. */
  unfollow(topic: string, subscriber: S): void;
  /** Lets go of every engine subscription. */
  close(): Promise<void>;
}

/**
 * Creates the fan-out of one hub: one engine subscription per topic or
 * pattern with local subscribers, each publication encoded once and written
 * to every local subscriber.
 *
 * @param options The engine, metrics and log.
 * @returns The fan-out.
 *
 * @example Deliver a publication to a local subscriber
 * ```ts ignore
 * const fanout = createFanout({ engine: createMemoryEngine(), metrics, log });
 * await fanout.hold("chat:lobby");
 * fanout.add("chat:lobby", connection);
 * ```
 */
export function createFanout<S extends FanoutSubscriber>(options: FanoutOptions): Fanout<S> {
  const { engine, metrics, log } = options;
  const pending = new Map<string, Promise<void>>();
  const held = new Map<string, EngineSubscription>();
  /** Subscribers that receive a topic's joins and leaves, by topic. */
  const followers = new Multimap<S>();
  const registry = createRegistry<S>({
    // The engine is asked by `hold` before the first subscriber is added.
    onFirst() {},
    onLast: (topic) => {
      if (!pending.has(topic)) unsubscribe(topic);
    },
  });

  function unsubscribe(topic: string): void {
    positions.delete(topic);
    const subscription = held.get(topic);
    if (subscription === undefined) return;
    held.delete(topic);
    subscription.unsubscribe().catch((error) => failed(topic, error));
  }

  function failed(topic: string, error: unknown): void {
    log({
      level: "error",
      event: "engine.unsubscribe_failed",
      topic,
      error: error instanceof Error ? error.name : typeof error,
    });
  }

  /**
   * The last offset and epoch seen per exact topic with history, to notice a
   * networked engine's skip. Topics without history have no entry.
   */
  const positions = new Map<string, { offset: number; epoch: string | undefined }>();

  /**
   * Delivers one publication to this hub's subscribers of its topic: through
   * their exact subscriptions only, or (for an engine that hands every
   * publication to one observer, so the hub subscribes nothing in it) also
   * through their patterns, found with the registry's pattern index, once
   * per subscriber.
   */
  function deliver(delivery: Delivery, withPatterns: boolean): void {
    const { topic, offset, epoch } = delivery;
    if (offset !== undefined && registry.count(topic) > 0) {
      const last = positions.get(topic);
      if (last === undefined) positions.set(topic, { offset, epoch });
      else {
        // A networked engine can skip: subscribers are told to recover.
        if (epoch !== last.epoch || offset !== last.offset + 1) {
          registry.forEachOf(topic, (subscriber) => subscriber.lost(topic));
        }
        last.offset = offset;
        last.epoch = epoch;
      }
    }
    // No pattern subscriber here: the exact topic's subscribers are all.
    if (!withPatterns || registry.patterns === 0) return deliverExact(delivery);
    let outgoing: Outgoing | undefined;
    let delivered = 0;
    registry.forEach(topic, (subscriber: S) => {
      outgoing ??= new Outgoing(topic, delivery.publication, offset, epoch);
      subscriber.deliver(outgoing);
      delivered++;
    });
    if (delivered > 0) increment(metrics.messagesOut, "message", delivered);
  }

  /**
   * Delivers to the subscribers of the exact topic, without a callback: the
   * path of nearly every publication (patterns are rare), and most topics
   * have one subscriber (inboxes, per-user rooms).
   */
  function deliverExact(delivery: Delivery): void {
    const subscribers = registry.subscribersOf(delivery.topic);
    if (subscribers === undefined) return;
    const outgoing = new Outgoing(
      delivery.topic,
      delivery.publication,
      delivery.offset,
      delivery.epoch,
    );
    let delivered = 1;
    if (subscribers instanceof Set) {
      delivered = 0;
      // A subscriber that leaves during the walk and was not reached yet is skipped, as before.
      for (const subscriber of subscribers as ReadonlySet<S>) {
        subscriber.deliver(outgoing);
        delivered++;
      }
      if (delivered === 0) return;
    } else (subscribers as S).deliver(outgoing);
    increment(metrics.messagesOut, "message", delivered);
  }

  /**
   * The engine listener of every exact topic, shared: a delivery names its
   * topic, which is the registry key, so an idle topic costs no listener
   * object and closures of its own.
   */
  const exactListener = {
    onPublication(delivery: Delivery): void {
      deliver(delivery, false);
    },
    onPresence(event: PresenceEvent): void {
      // Only the followers: a join into a room of n subscribers of whom none
      // asked for joins costs nothing, rather than n calls (n² to fill it).
      followers.forEach(event.topic, (subscriber) => subscriber.presence(event));
    },
    onLost(event: { topic: string }): void {
      registry.forEachOf(event.topic, (subscriber) => subscriber.lost(event.topic));
    },
  };

  /** The engine listener of one pattern: skips subscribers that take the topic otherwise. */
  function patternListener(key: string) {
    return {
      onPublication(delivery: Delivery): void {
        let outgoing: Outgoing | undefined;
        let delivered = 0;
        registry.forEachOf(key, (subscriber) => {
          if (!subscriber.takesThrough(key, delivery.topic)) return;
          outgoing ??= new Outgoing(
            delivery.topic,
            delivery.publication,
            delivery.offset,
            delivery.epoch,
          );
          subscriber.deliver(outgoing);
          delivered++;
        });
        if (delivered > 0) increment(metrics.messagesOut, "message", delivered);
      },
      onLost(event: { topic: string }): void {
        registry.forEachOf(key, (subscriber) => subscriber.lost(event.topic));
      },
    };
  }

  // An engine that delivers every publication to one listener needs no
  // subscription per topic or pattern: the registry finds the subscribers,
  // patterns through its index (a scan of every pattern per publication in
  // the engine would make 100,000 patterns cost every publish milliseconds).
  const stopObserving = engine.observe?.({
    onPublication: (delivery: Delivery) => deliver(delivery, true),
    onPresence: exactListener.onPresence,
    onLost: exactListener.onLost,
  });

  function hold(topic: string): Promise<void> | undefined {
    if (held.has(topic)) return undefined;
    if (stopObserving !== undefined) return undefined;
    const asked = pending.get(topic);
    if (asked !== undefined) return asked;
    let result: Promise<EngineSubscription>;
    try {
      result = engine.subscribe(
        topic,
        isPattern(topic) ? patternListener(topic) : exactListener,
      );
    } catch (error) {
      return Promise.reject(error);
    }
    const settled = result.then((subscription) => {
      pending.delete(topic);
      held.set(topic, subscription);
    }, (error) => {
      pending.delete(topic);
      throw error;
    });
    pending.set(topic, settled);
    return settled;
  }

  return {
    registry,
    hold,
    add(topic, subscriber) {
      registry.add(topic, subscriber);
    },
    remove(topic, subscriber) {
      registry.remove(topic, subscriber);
    },
    release(topic) {
      if (registry.count(topic) === 0 && !pending.has(topic)) unsubscribe(topic);
    },
    follow(topic, subscriber) {
      return followers.add(topic, subscriber);
    },
    unfollow(topic, subscriber) {
      followers.delete(topic, subscriber);
    },
    async close() {
      const subscriptions = [...held.values()];
      held.clear();
      positions.clear();
      stopObserving?.();
      await Promise.allSettled(subscriptions.map((s) => s.unsubscribe()));
    },
  };
}
