/**
 * A ring of sockets linked through the sockets themselves: two fields on
 * each member instead of an entry in a `Set` (about 30 bytes) and a field to
 * find the set by. The `ws` adapter keeps its open sockets in one
 * (`OpenSockets`), the Deno adapter its heartbeat walk's (`HeartbeatWalk`).
 * Internal to the server adapters.
 *
 * @module
 */

/** A place in a ring: a member, or the ring's own head. A lone place links to itself. */
export interface Linked {
  prev: Linked;
  next: Linked;
}

/**
 * Links `member` last in the ring whose head is `head`.
 *
 * @param head The ring's head.
 * @param member A place in no ring.
 *
 * @example A member joins and leaves
 * ```ts
 * import { append, type Linked, members, unlink } from "./_ring.ts";
 * import assert from "node:assert/strict";
 *
 * const head: Linked = { prev: undefined!, next: undefined! };
 * head.prev = head.next = head;
 * const a: Linked = { prev: undefined!, next: undefined! };
 * append(head, a);
 * assert.deepEqual([...members(head)], [a]);
 * unlink(a);
 * assert.deepEqual([...members(head)], []);
 * ```
 */
export function append(head: Linked, member: Linked): void {
  const last = head.prev;
  member.prev = last;
  member.next = head;
  last.next = member;
  head.prev = member;
}

/**
 * Takes `member` out of its ring. Its own links stay as they were, so a
 * walk standing on it goes on to the members after it.
 *
 * @param member A member of a ring.
 */
export function unlink(member: Linked): void {
  member.prev.next = member.next;
  member.next.prev = member.prev;
}

/**
 * The members of the ring whose head is `head`, first to last. Each
 * member's successor is read before the member is handed out, so members
 * may leave (`unlink`) while the walk goes on.
 *
 * @param head The ring's head.
 * @returns The members.
 */
export function* members<T extends Linked>(head: Linked): Generator<T> {
  for (let at = head.next; at !== head;) {
    const next = at.next;
    yield at as T;
    at = next;
  }
}
