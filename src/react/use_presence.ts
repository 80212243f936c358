/**
 * {@linkcode usePresence}: who is on a topic, kept live.
 *
 * @module
 */

import { useContext, useEffect, useState } from "react";
import { PresenceSet, type PresenceSnapshot } from "../client/presence_set.ts";
import { RealtimeContext } from "./context.ts";
import { requireRealtimeContext } from "./_require.ts";

export type { PresenceSnapshot } from "../client/presence_set.ts";

const EMPTY: PresenceSnapshot = Object.freeze({
  members: Object.freeze([]),
  ready: false,
  error: undefined,
});

/**
 * Who is on a concrete topic, live: the hook follows the topic with the
 * client's {@linkcode PresenceSet}, which subscribes with `presence:
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
    const members = new PresenceSet(client, topic);
    const off = members.onChange(() => setSnapshot(members.snapshot));
    return () => {
      off();
      members.close();
    };
  }, [client, topic]);
  return snapshot;
}
