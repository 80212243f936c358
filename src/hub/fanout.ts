/**
 * Fan-out: which local connections receive which topics, and the broker that
 * brings every publication for them to this process. The hub's one seam to
 * the broker (the engine takes its place next): a subscription is
 * registered only once the broker holds its topic.
 *
 * @module
 */

import { encodeMessage } from "../protocol/encode.ts";
import type { Broker, Publication } from "./broker.ts";
import type { LogEntry } from "./log.ts";
import { type HubMetrics, increment } from "./metrics.ts";
import { createRegistry, type Registry, type Subscriber } from "./registry.ts";

/** Options of {@linkcode createFanout}. */
export interface FanoutOptions {
  /** Carries publications between processes. */
  broker: Broker;
  /** Counts the messages delivered. */
  metrics: HubMetrics;
  /** Reports a broker that failed to let go of a topic. */
  log(entry: LogEntry): void;
}

/** Local subscriptions over a broker, created by {@linkcode createFanout}. */
export interface Fanout<S extends Subscriber> {
  /** The local subscriptions (read them; change them through `hold`/`add`/`remove`). */
  readonly registry: Readonly<Registry<S>>;
  /**
   * Makes sure the broker holds a topic or pattern before a first local
   * subscriber is added. Returns `undefined` when it already does (the
   * common, allocation-free case), else a promise that settles when the
   * broker answered; it rejects when the broker could not subscribe.
   */
  hold(topicOrPattern: string): Promise<void> | undefined;
  /** Registers a subscriber; call only once `hold` settled. */
  add(topicOrPattern: string, subscriber: S): void;
  /** Ends a subscription; the broker lets go of a topic its last subscriber left. */
  remove(topicOrPattern: string, subscriber: S): void;
  /**
   * Lets the broker go of a topic held for a subscriber that went away
   * while `hold` was pending, unless someone else subscribed meanwhile.
   */
  release(topicOrPattern: string): void;
}

/**
 * Creates the fan-out of one hub: it listens to the broker and writes each
 * publication, encoded once, to every local subscriber of its topic.
 *
 * @param options The broker, metrics and log.
 * @returns The fan-out.
 *
 * @example Deliver a publication to a local subscriber
 * ```ts ignore
 * const fanout = createFanout({ broker: createMemoryBroker(), metrics, log });
 * fanout.add("chat:lobby", { send: (text) => console.log(text) });
 * ```
 */
export function createFanout<S extends Subscriber>(options: FanoutOptions): Fanout<S> {
  const { broker, metrics, log } = options;
  const pending = new Map<string, Promise<void>>();
  const registry = createRegistry<S>({
    // The broker is asked by `hold` before the first subscriber is added.
    onFirst() {},
    onLast: (topic) => unsubscribe(topic),
  });

  function unsubscribe(topic: string): void {
    try {
      const result = broker.unsubscribe(topic);
      if (result instanceof Promise) result.catch((error) => failed(topic, error));
    } catch (error) {
      failed(topic, error);
    }
  }

  function failed(topic: string, error: unknown): void {
    log({
      level: "error",
      event: "broker.unsubscribe_failed",
      topic,
      error: error instanceof Error ? error.name : typeof error,
    });
  }

  broker.listen((publication: Publication) => {
    const text = encodeMessage(publication);
    let delivered = 0;
    registry.forEach(publication.topic, (subscriber) => {
      subscriber.send(text);
      delivered++;
    });
    if (delivered > 0) increment(metrics.messagesOut, "message", delivered);
  });

  function hold(topic: string): Promise<void> | undefined {
    if (registry.count(topic) > 0) return undefined;
    const asked = pending.get(topic);
    if (asked !== undefined) return asked;
    let result: Promise<void> | void;
    try {
      result = broker.subscribe(topic);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(result instanceof Promise)) return undefined;
    const settled = result.finally(() => pending.delete(topic));
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
  };
}
