/**
 * {@linkcode useHistory}: what a topic's history holds.
 *
 * @module
 */

import { useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { RealtimeError } from "../client/errors.ts";
import type { HistoryMessage } from "../client/history.ts";
import type { TopicPosition } from "../protocol/frames.ts";
import { RealtimeContext } from "./context.ts";
import { requireRealtimeContext } from "./_require.ts";

/** Options of {@linkcode useHistory}. */
export interface UseHistoryOptions {
  /**
   * At most this many publications, 0 to 1000.
   *
   * @default {100, the hub's default}
   */
  readonly limit?: number;
  /**
   * Newest first.
   *
   * @default {false}
   */
  readonly reverse?: boolean;
  /**
   * Read after this position (oldest first) or before it (with `reverse`).
   * Compared by `offset` and `epoch`, so a new object with the same values
   * reads nothing again.
   *
   * @default {undefined}
   */
  readonly since?: TopicPosition;
  /**
   * Whether to read; `false` (or a `null` topic) reads nothing.
   *
   * @default {true}
   */
  readonly enabled?: boolean;
}

/** What {@linkcode useHistory} returns: an immutable snapshot, replaced on each change. */
export interface HistorySnapshot<T = unknown> {
  /** The publications of the last answer, in the order asked for. */
  readonly publications: readonly HistoryMessage<T>[];
  /** The topic's position when it was read (its latest offset and epoch). */
  readonly position: TopicPosition | undefined;
  /** Whether a read is under way. */
  readonly loading: boolean;
  /** Why the last read failed, if it did. */
  readonly error: RealtimeError | Error | undefined;
  /** Reads again (stable while the provider's client is the same). */
  readonly reload: () => void;
}

type Read<T> = Omit<HistorySnapshot<T>, "reload">;

const EMPTY: Read<never> = Object.freeze({
  publications: Object.freeze([]),
  position: undefined,
  loading: false,
  error: undefined,
});

/**
 * Reads a concrete topic's history once the provider has a client (the
 * request waits for the connection), again whenever the topic or the
 * options change, and on `reload()`. An answer that arrives after the
 * component moved on (another topic, unmounted) is dropped. Needs the ACL
 * action `history` on a topic that keeps history.
 *
 * Combine it with {@linkcode useSubscription} to show what was said before
 * the component mounted and what is said after; call `reload()` when the
 * subscription says `recovered: false`.
 *
 * @param topic A concrete topic; `null` reads nothing.
 * @param options `limit`, `reverse`, `since`, `enabled`.
 * @returns The publications, the position, whether loading, an error, and `reload`.
 * @throws {TypeError} Outside a {@linkcode RealtimeProvider}.
 * @throws {RangeError} When `limit` is not an integer from 0 to 1000.
 *
 * @example The last 20 messages of a room, newest first
 * ```ts
 * import { useHistory } from "@realtime/hub/react";
 *
 * function useRecent(room: string): string[] {
 *   const { publications } = useHistory<{ text: string }>(`chat:${room}`, { limit: 20, reverse: true });
 *   return publications.map((m) => `${m.from}: ${m.payload.text}`);
 * }
 * ```
 */
export function useHistory<T = unknown>(
  topic: string | null,
  options: UseHistoryOptions = {},
): HistorySnapshot<T> {
  const { client } = requireRealtimeContext(useContext(RealtimeContext), "useHistory");
  const { limit, since } = options;
  const reverse = options.reverse === true;
  const enabled = options.enabled !== false && topic !== null;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0 && limit <= 1000)) {
    throw new RangeError(
      `Cannot read ${limit} publications: 'limit' must be an integer from 0 to 1000`,
    );
  }
  const sinceOffset = since?.offset;
  const sinceEpoch = since?.epoch;
  const [read, setRead] = useState<Read<T>>(EMPTY);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), [client]);
  useEffect(() => {
    if (client === null || !enabled) {
      setRead(EMPTY);
      return;
    }
    let live = true;
    setRead((r) => ({ ...r, loading: true }));
    const query = {
      reverse,
      ...(limit === undefined ? {} : { limit }),
      ...(sinceOffset === undefined ? {} : { since: { offset: sinceOffset, epoch: sinceEpoch! } }),
    };
    client.history(topic, query).then(
      (result) => {
        if (!live) return;
        const publications = result.publications as HistoryMessage<T>[];
        setRead({ publications, position: result.position, loading: false, error: undefined });
      },
      (error: RealtimeError | Error) => {
        if (live) setRead((r) => ({ ...r, loading: false, error }));
      },
    );
    return () => {
      live = false;
    };
  }, [client, topic, enabled, limit, reverse, sinceOffset, sinceEpoch, generation]);
  return useMemo(() => ({ ...read, reload }), [read, reload]);
}
