/**
 * The client's side of presence: who is subscribed to a topic, how many, and
 * the join and leave events of subscriptions made with `presence: true`.
 *
 * @module
 */

import type { PresenceClient, PresenceEventFrame, PresenceReplyFrame } from "../protocol/frames.ts";

/** One connection subscribed to a topic. */
export interface PresenceMember {
  /** Its user (the token's `sub`). */
  readonly user: string;
  /** The hub's id of the connection. */
  readonly connectionId: string;
  /** Connection info from the token, when it carries some. */
  readonly info?: unknown;
}

/** What {@linkcode RealtimeClient.presenceStats} resolves to. */
export interface PresenceStats {
  /** Subscribed connections. */
  readonly connections: number;
  /** Distinct users among them (two tabs of one user count once). */
  readonly users: number;
}

/** A `join` or `leave`, passed to the client's `presence` listeners. */
export interface PresenceEvent extends PresenceMember {
  /** Whether the connection joined or left. */
  readonly action: "join" | "leave";
  /** The topic. */
  readonly topic: string;
}

/**
 * Turns the hub's `presence` reply into members, skipping malformed entries.
 *
 * @param frame The reply.
 * @returns One member per connection.
 *
 * @example Count distinct users
 * ```ts
 * import { presenceMembers } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * const members = presenceMembers({
 *   type: "presence",
 *   topic: "room:1",
 *   clients: [
 *     { user: "alice", connectionId: "c1" },
 *     { user: "alice", connectionId: "c2" },
 *     { user: "bob", connectionId: "c3", info: { name: "Bob" } },
 *   ],
 * });
 * assert.equal(new Set(members.map((m) => m.user)).size, 2);
 * ```
 */
export function presenceMembers(frame: PresenceReplyFrame): PresenceMember[] {
  const members: PresenceMember[] = [];
  const list: unknown = frame.clients;
  for (const item of Array.isArray(list) ? list : []) {
    const member = toMember(item);
    if (member !== undefined) members.push(member);
  }
  return members;
}

/**
 * Turns a `join` or `leave` frame into a {@linkcode PresenceEvent}.
 *
 * @param frame The frame.
 * @returns The event.
 *
 * @example Read a join
 * ```ts
 * import { presenceEvent } from "@realtime/hub/client";
 * import assert from "node:assert/strict";
 *
 * const event = presenceEvent({ type: "join", topic: "room:1", user: "bob", connectionId: "c3" });
 * assert.deepEqual(event, { action: "join", topic: "room:1", user: "bob", connectionId: "c3" });
 * ```
 */
export function presenceEvent(frame: PresenceEventFrame): PresenceEvent {
  const event = { action: frame.type, topic: frame.topic, user: frame.user };
  return frame.info === undefined
    ? { ...event, connectionId: frame.connectionId }
    : { ...event, connectionId: frame.connectionId, info: frame.info };
}

function toMember(item: unknown): PresenceMember | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  const { user, connectionId, info } = item as Partial<PresenceClient>;
  if (typeof user !== "string" || typeof connectionId !== "string") return undefined;
  return info === undefined ? { user, connectionId } : { user, connectionId, info };
}
