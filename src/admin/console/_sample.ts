// One point of the console's history from two consecutive counter samples:
// a pure function, so rates and gaps are tested by a table.

/** Counters read from the hub at one moment. */
export interface Sample {
  at: number;
  connections: number;
  users: number;
  topics: number;
  subscriptions: number;
  /** Frames received since the hub started. */
  messagesIn: number;
  /** Messages sent since the hub started. */
  messagesOut: number;
}

/** One point of the sparklines. Rates are `null` after a gap (nobody was watching). */
export interface HistoryPoint {
  /** Epoch ms. */
  readonly at: number;
  /** Open connections. */
  readonly connections: number;
  /** Distinct authenticated users. */
  readonly users: number;
  /** Topics and patterns with subscribers. */
  readonly topics: number;
  /** Subscriptions in all. */
  readonly subscriptions: number;
  /** Frames received per second, or `null` after a gap. */
  readonly messagesInPerSecond: number | null;
  /** Frames sent per second, or `null` after a gap. */
  readonly messagesOutPerSecond: number | null;
}

/**
 * The point for `now`. Rates come from the previous sample when it is at
 * most two intervals old; an older one means nobody watched in between, and
 * an average over that gap would draw a flat line that never happened.
 */
export function nextPoint(
  previous: Sample | undefined,
  now: Sample,
  intervalMs: number,
): HistoryPoint {
  const elapsed = previous === undefined ? 0 : now.at - previous.at;
  const usable = previous !== undefined && elapsed > 0 && elapsed <= 2 * intervalMs;
  const rate = (a: number, b: number) =>
    usable ? Math.round(Math.max(0, b - a) / (elapsed / 1000) * 100) / 100 : null;
  return {
    at: now.at,
    connections: now.connections,
    users: now.users,
    topics: now.topics,
    subscriptions: now.subscriptions,
    messagesInPerSecond: rate(previous?.messagesIn ?? 0, now.messagesIn),
    messagesOutPerSecond: rate(previous?.messagesOut ?? 0, now.messagesOut),
  };
}
