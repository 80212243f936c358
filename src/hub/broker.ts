/**
 * The broker seam: how publications travel between hub processes. The
 * in-memory broker serves one process; a networked broker (Redis, NATS) can
 * replace it without touching the hub.
 *
 * @module
 */

/** One message published on a concrete topic. */
export interface Publication {
  /** The concrete topic. */
  readonly topic: string;
  /** Any JSON value. */
  readonly payload: unknown;
  /** The publisher's subject, or `null` when the server published it. */
  readonly from: string | null;
  /** Publication time in epoch milliseconds. */
  readonly ts: number;
  /** Event name of a server-pushed event. */
  readonly event?: string;
  /**
   * For a signed publication: the compact JWS exactly as verified, whose
   * `data` claim is `payload`. Kept byte for byte wherever the publication
   * goes (an engine stores it as its opaque `extra`).
   */
  readonly jws?: string;
}

/**
 * Carries publications to every hub process that has subscribers. The hub
 * calls `subscribe`/`unsubscribe` when the first local subscriber of a topic
 * or pattern arrives or the last one leaves, so a networked broker only
 * receives traffic a process needs.
 *
 * @example A broker that logs and delegates
 * ```ts
 * import { type Broker, createMemoryBroker, createHub } from "@realtime/hub";
 *
 * const inner = createMemoryBroker();
 * const broker: Broker = {
 *   ...inner,
 *   publish(publication) {
 *     return inner.publish(publication);
 *   },
 * };
 * const hub = createHub({ auth: { secret: "a-development-secret-of-32-bytes!!" }, broker });
 * await hub.close();
 * ```
 */
export interface Broker {
  /** Sets the function that receives every publication for this process. Called once by the hub. */
  listen(deliver: (publication: Publication) => void): void;
  /** Sends a publication to every listening process (including this one). */
  publish(publication: Publication): Promise<void> | void;
  /** This process now has subscribers for a topic or pattern. */
  subscribe(topicOrPattern: string): Promise<void> | void;
  /** This process no longer has subscribers for a topic or pattern. */
  unsubscribe(topicOrPattern: string): Promise<void> | void;
  /** Releases the broker's resources. */
  close(): Promise<void>;
}

/**
 * Creates the default broker, which delivers within one process,
 * synchronously, in publication order.
 *
 * @returns A broker.
 *
 * @example Deliver a publication
 * ```ts
 * import { createMemoryBroker, type Publication } from "@realtime/hub";
 * import assert from "node:assert/strict";
 *
 * const broker = createMemoryBroker();
 * const seen: Publication[] = [];
 * broker.listen((p) => seen.push(p));
 * broker.publish({ topic: "chat:lobby", payload: 1, from: null, ts: 0 });
 * assert.equal(seen.length, 1);
 * ```
 */
export function createMemoryBroker(): Broker {
  let deliver: ((publication: Publication) => void) | undefined;
  return {
    listen(fn) {
      deliver = fn;
    },
    publish(publication) {
      deliver?.(publication);
    },
    subscribe() {},
    unsubscribe() {},
    close() {
      deliver = undefined;
      return Promise.resolve();
    },
  };
}
