/**
 * {@linkcode usePresence}: who is on a topic, kept live.
 *
 * @module
 */

import { useContext, useEffect, useState } from "react";
import type { RealtimeError } from "../client/errors.ts";
import type { PresenceEvent, PresenceMember } from "../client/presence.ts";
import { RealtimeContext } from "./context.ts";
import { requireRealtimeContext } from "./_require.ts";

/** What {@linkcode usePresence} returns: an immutable snapshot, replaced on each change. */
export interface PresenceSnapshot {
  /** One entry per connection on the topic, in the order they were learned. */
  readonly members: readonly PresenceMember[];
  /** Whether the first presence query answered. */
  readonly ready: boolean;
  /** Why the subscription or the query failed, if it did. */
  readonly error: RealtimeError | Error | undefined;
}

const EMPTY: PresenceSnapshot = Object.freeze({
  members: Object.freeze([]),
  ready: false,
  error: undefined,
});

/**
 * Who is on a concrete topic, live: the hook subscribes with `presence:
 * true`, asks the hub who is present once the subscription is confirmed
 * (and again after every resubscribe, so a reconnect cannot leave it stale),
 * and applies `join` and `leave` events to that list. Events that arrive
 * before the answer are applied after it. Needs the ACL actions `subscribe`
 * and `presence` on the topic.
 *
 * @param topic A concrete topic; `null` subscribes nothing.
 * @returns The members, whether ready, and an error.
 * @throws {TypeError} Outside a {@linkcode RealtimeProvider}.
 *
 * @example List who is in a room
 * ```ts
 * import { usePresence } from "@realtime/hub/react";
 *
 * function useWhoIsHere(room: string): string[] {
 *   const { members } = usePresence(`chat:${room}`);
 *   return [...new Set(members.map((m) => m.user))];
 * }
 * ```
 */
export function usePresence(topic: string | null): PresenceSnapshot {
  const { client } = requireRealtimeContext(useContext(RealtimeContext), "usePresence");
  const [snapshot, setSnapshot] = useState<PresenceSnapshot>(EMPTY);
  useEffect(() => {
    setSnapshot(EMPTY);
    if (client === null || topic === null) return;
    let live = true;
    // null while a query is out: events then wait in `early`.
    let members: Map<string, PresenceMember> | null = null;
    let early: PresenceEvent[] = [];
    let query = 0;
    const show = () => {
      if (live && members !== null) {
        const list = [...members.values()];
        setSnapshot((s) => ({ ...s, members: list, ready: true }));
      }
    };
    const apply = (event: PresenceEvent) => {
      const { user, connectionId, info } = event;
      if (event.action === "leave") members!.delete(connectionId);
      else members!.set(connectionId, info === undefined ? { user, connectionId } : event);
    };
    const failed = (error: RealtimeError | Error) => {
      if (live) setSnapshot((s) => ({ ...s, error }));
    };
    const load = () => {
      const mine = ++query;
      members = null;
      early = [];
      client.presence(topic).then((list) => {
        if (!live || mine !== query) return;
        members = new Map(list.map((m) => [m.connectionId, m]));
        for (const event of early) apply(event);
        early = [];
        show();
      }, failed);
    };
    const offPresence = client.on("presence", (event) => {
      if (event.topic !== topic) return;
      if (members === null) early.push(event);
      else {
        apply(event);
        show();
      }
    });
    const offSubscribed = client.on("subscribed", (info) => {
      if (info.topic === topic) load();
    });
    const unsubscribe = client.subscribe(topic, () => {}, { presence: true, onError: failed });
    unsubscribe.ready.catch(failed);
    return () => {
      live = false;
      offPresence();
      offSubscribed();
      unsubscribe();
    };
  }, [client, topic]);
  return snapshot;
}
