/**
 * {@linkcode PresenceSet}: who is on a topic, kept live from the hub's join
 * and leave events, as a stable snapshot.
 *
 * @module
 */

import type { RealtimeClient } from "./client.ts";
import type { RealtimeError } from "./errors.ts";
import type { PresenceEvent, PresenceMember } from "./presence.ts";
import { guard } from "./_guard.ts";

/** What {@linkcode PresenceSet.snapshot} holds: immutable, replaced on each change. */
export interface PresenceSnapshot {
  /** One entry per connection on the topic, in the order they were learned. */
  readonly members: readonly PresenceMember[];
  /** Whether the first presence query answered. */
  readonly ready: boolean;
  /** Why the subscription or the query failed, if it did. */
  readonly error: RealtimeError | Error | undefined;
}

// A plain literal, not frozen: a call at the top level would keep this
// module in the bundle of a page that never uses it.
const EMPTY: PresenceSnapshot = { members: [], ready: false, error: undefined };

/**
 * The live member list of a concrete topic (needs the ACL actions
 * `subscribe` and `presence`), in the manner of Phoenix's `Presence`: it
 * subscribes with `presence: true`, asks the hub who is there each time the
 * subscription is confirmed (first, and after every reconnect, so members
 * that came or went during a cut are not missed), and applies the `join`
 * and `leave` events in between, including those that arrive while a query
 * is out. {@linkcode PresenceSet.snapshot} is the same object until the
 * members change, so it can be a `useSyncExternalStore` snapshot.
 *
 * @example Who is in the room, live
 * ```ts
 * import { PresenceSet, RealtimeClient } from "@realtime/hub/client";
 * import { createHub } from "@realtime/hub";
 * import { serve } from "@realtime/hub/server";
 * import { mintToken } from "@realtime/hub/auth";
 * import assert from "node:assert/strict";
 *
 * const secret = "a-development-secret-of-32-bytes!!";
 * const hub = createHub({ auth: { secret }, log: () => {} });
 * const server = await serve(hub, { port: 0 });
 * const url = `ws://127.0.0.1:${server.port}/ws`;
 * const acl = { "room:*": ["subscribe", "presence"] };
 * const alice = new RealtimeClient({ url, token: await mintToken({ sub: "alice", acl }, { secret }) });
 * const bob = new RealtimeClient({ url, token: await mintToken({ sub: "bob", acl }, { secret }) });
 *
 * using room = new PresenceSet(alice, "room:1");
 * const users = () => room.members.map((m) => m.user).sort().join();
 * const until = (want: string) =>
 *   new Promise<void>((resolve) => {
 *     if (users() === want) return resolve();
 *     const off = room.onChange(() => users() === want && (off(), resolve()));
 *   });
 * await until("alice");
 * const unsubscribe = bob.subscribe("room:1", () => {});
 * await until("alice,bob"); // bob's join, live
 * unsubscribe();
 * await until("alice"); // and his leave
 *
 * room.close();
 * await bob.close();
 * await alice.close();
 * await hub.close();
 * await server.close();
 * ```
 */
export class PresenceSet implements Disposable {
  /** The topic. */
  readonly topic: string;
  #client: RealtimeClient;
  #snapshot: PresenceSnapshot = EMPTY;
  #listeners = new Set<() => void>();
  /** `undefined` while a query is out: events then wait in `#early`. */
  #members: Map<string, PresenceMember> | undefined;
  #early: PresenceEvent[] = [];
  #query = 0;
  #closed = false;
  #offs: (() => void)[];

  /**
   * Subscribes to the topic with `presence: true` and starts following it.
   *
   * @param client The client (open, connecting or idle).
   * @param topic A concrete topic.
   * @throws {TypeError} When the topic is not valid.
   */
  constructor(client: RealtimeClient, topic: string) {
    this.topic = topic;
    this.#client = client;
    const failed = (error: RealtimeError | Error) => this.#fail(error);
    const unsubscribe = client.subscribe(topic, () => {}, { presence: true, onError: failed });
    unsubscribe.ready.catch(failed);
    this.#offs = [
      unsubscribe,
      client.on("presence", (event) => {
        if (event.topic !== topic) return;
        if (this.#members === undefined) this.#early.push(event);
        else {
          this.#apply(event);
          this.#show();
        }
      }),
      client.on("subscribed", (info) => {
        if (info.topic === topic) this.#load();
      }),
    ];
  }

  /** The members, whether the first query answered, and any error: the same object until one changes. */
  get snapshot(): PresenceSnapshot {
    return this.#snapshot;
  }

  /** The members, one per connection: `snapshot.members`. */
  get members(): readonly PresenceMember[] {
    return this.#snapshot.members;
  }

  /**
   * Calls `listener` after each change of the snapshot (the signature of
   * `useSyncExternalStore`'s `subscribe`).
   *
   * @param listener Called with no arguments.
   * @returns A function that removes the listener.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Unsubscribes (unless another handler holds the topic) and stops listening. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#offs) off();
    this.#listeners.clear();
  }

  /** The same as {@linkcode PresenceSet.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #load(): void {
    const mine = ++this.#query;
    this.#members = undefined;
    this.#early = [];
    this.#client.presence(this.topic).then((list) => {
      if (this.#closed || mine !== this.#query) return;
      this.#members = new Map(list.map((m) => [m.connectionId, m]));
      for (const event of this.#early) this.#apply(event);
      this.#early = [];
      this.#show();
    }, (error: RealtimeError) => this.#fail(error));
  }

  #apply(event: PresenceEvent): void {
    const { user, connectionId, info } = event;
    if (event.action === "leave") this.#members!.delete(connectionId);
    else this.#members!.set(connectionId, info === undefined ? { user, connectionId } : event);
  }

  #show(): void {
    this.#set({ ...this.#snapshot, members: [...this.#members!.values()], ready: true });
  }

  #fail(error: RealtimeError | Error): void {
    this.#set({ ...this.#snapshot, error });
  }

  #set(snapshot: PresenceSnapshot): void {
    if (this.#closed) return;
    this.#snapshot = snapshot;
    for (const listener of [...this.#listeners]) guard(listener);
  }
}
