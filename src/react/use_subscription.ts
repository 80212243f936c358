/**
 * {@linkcode useSubscription}: the messages of one topic.
 *
 * @module
 */

import { useContext, useEffect, useState } from "react";
import type { RealtimeError } from "../client/errors.ts";
import type { SubscriptionState } from "../client/events.ts";
import type { RealtimeMessage } from "../client/subscription.ts";
import { RealtimeContext } from "./context.ts";
import { requireRealtimeContext } from "./_require.ts";

/** Options of {@linkcode useSubscription}. */
export interface UseSubscriptionOptions {
  /**
   * How many of the latest messages `messages` keeps.
   *
   * @default {50}
   */
  readonly limit?: number;
  /**
   * Ask for join and leave events too (as `subscribe`'s `presence`).
   *
   * @default {false}
   */
  readonly presence?: boolean;
  /**
   * Whether to subscribe; `false` (or a `null` topic) subscribes nothing.
   *
   * @default {true}
   */
  readonly enabled?: boolean;
}

/** What {@linkcode useSubscription} returns: an immutable snapshot, replaced on each change. */
export interface SubscriptionSnapshot<T = unknown> {
  /** The latest message, if any arrived. */
  readonly latest: RealtimeMessage<T> | undefined;
  /** The latest messages, oldest first, at most `limit`. */
  readonly messages: readonly RealtimeMessage<T>[];
  /** Whether the hub confirmed the subscription (once; see `state` for now). */
  readonly ready: boolean;
  /**
   * The subscription's state now: `subscribing` (also again while the
   * client reconnects), `subscribed`, or `unsubscribed` (not subscribed,
   * or refused: see `error`).
   */
  readonly state: SubscriptionState;
  /**
   * After a resubscribe with a position: whether every missed message
   * followed (`false`: reload, for example from `history()`).
   */
  readonly recovered: boolean | undefined;
  /** After a complete recovery: how many missed messages followed. */
  readonly missed: number | undefined;
  /** Why the subscription was refused or ended, if it was. */
  readonly error: RealtimeError | Error | undefined;
}

const EMPTY: SubscriptionSnapshot<never> = Object.freeze({
  latest: undefined,
  messages: Object.freeze([]),
  ready: false,
  state: "unsubscribed",
  recovered: undefined,
  missed: undefined,
  error: undefined,
});

/**
 * Subscribes to a topic (or pattern) while mounted and returns its latest
 * messages. A new topic unsubscribes the old one and starts afresh; under
 * StrictMode the mount-time subscribe, unsubscribe, subscribe happens before
 * the client is open (the provider creates it in its own effect), so the hub
 * sees one subscribe.
 *
 * @param topic The topic or pattern; `null` subscribes nothing.
 * @param options How many messages to keep, presence, whether enabled.
 * @returns The snapshot: latest, messages, ready, recovered, missed, error.
 * @throws {TypeError} Outside a {@linkcode RealtimeProvider}.
 *
 * @example Show a chat
 * ```ts
 * import { useSubscription } from "@realtime/hub/react";
 *
 * function useChat(room: string) {
 *   const { messages, error } = useSubscription<{ text: string }>(`chat:${room}`, { limit: 100 });
 *   return error ? [] : messages.map((m) => `${m.from}: ${m.payload.text}`);
 * }
 * ```
 */
export function useSubscription<T = unknown>(
  topic: string | null,
  options: UseSubscriptionOptions = {},
): SubscriptionSnapshot<T> {
  const { client } = requireRealtimeContext(useContext(RealtimeContext), "useSubscription");
  const limit = options.limit ?? 50;
  const presence = options.presence === true;
  const enabled = options.enabled !== false && topic !== null;
  if (!(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(`Cannot keep ${limit} messages: 'limit' must be an integer >= 0`);
  }
  const [snapshot, setSnapshot] = useState<SubscriptionSnapshot<T>>(EMPTY);
  useEffect(() => {
    setSnapshot(EMPTY);
    if (client === null || !enabled) return;
    let live = true;
    const update = (change: (s: SubscriptionSnapshot<T>) => SubscriptionSnapshot<T>) => {
      if (live) setSnapshot(change);
    };
    const failed = (error: RealtimeError | Error) => update((s) => ({ ...s, error }));
    const offSubscribed = client.on("subscribed", (info) => {
      if (info.topic !== topic) return;
      update((s) => ({ ...s, ready: true, recovered: info.recovered, missed: info.missed }));
    });
    // Before subscribing: the first change is reported by `subscribe` itself.
    const offState = client.on("subscription_state", (changed, state) => {
      if (changed === topic) update((s) => ({ ...s, state }));
    });
    const unsubscribe = client.subscribe<T>(topic, (message) =>
      update((s) => ({
        ...s,
        latest: message,
        messages: appendBounded(s.messages, message, limit),
      })), { presence, onError: failed });
    unsubscribe.ready.catch(failed);
    return () => {
      live = false;
      offSubscribed();
      offState();
      unsubscribe();
    };
  }, [client, topic, enabled, limit, presence]);
  return snapshot;
}

/** `list` with `item` appended, keeping at most the last `limit` entries. */
function appendBounded<T>(list: readonly T[], item: T, limit: number): readonly T[] {
  if (limit === 0) return list;
  const kept = list.length >= limit ? list.slice(list.length - limit + 1) : list;
  return [...kept, item];
}
