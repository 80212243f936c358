// What a session holds only once something out of the ordinary happened to
// it: frames waiting for an asynchronous check, a rate-limit strike, a
// protocol violation, a pattern subscription, a refused publication, a
// close. Each of these was a field of the session, and every
// idle connection paid 8 bytes for each; now an idle connection holds one
// field, `undefined`, for all of them (`bench/heap_breakdown.ts`). What
// many ordinary sessions set (presence followed, positions given, the
// fire-and-forget publish callback) stays in fields of the session: here it
// would make the object on most connections. Internal.

/** Frames that arrived while an asynchronous check was pending, in order. */
export class WaitingFrames {
  /** The frames, oldest first. */
  readonly frames: unknown[] = [];
  /** The size of each frame (made at the first one), and their sum. */
  sizes: number[] | undefined = undefined;
  bytes = 0;
  /** Settles once the pending check and every waiting frame were handled. */
  draining: Promise<void> | undefined = undefined;
}

/** A session's rarely set state, made the first time any of it is set. */
export class SessionRare {
  /** The code `close` closes with, which wins over the transport's. */
  closeCode: number | undefined = undefined;
  /** Rate-limited frames in a row. */
  strikes = 0;
  /** When its recent protocol violations happened (`recordViolation`). */
  violations: number[] | undefined = undefined;
  /** How many of its subscriptions are patterns (bounded by `maxPatternsPerConnection`). */
  patterns = 0;
  /** Publications the engine's bounds refused on this connection. */
  refusedPublishes = 0;
}
