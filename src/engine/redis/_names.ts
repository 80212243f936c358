// Every Redis key and channel name the engine uses, in one place (and in
// docs/scaling.md). Per-topic keys carry the topic as a Redis Cluster hash
// tag, `{topic}`, so one publication's script touches keys of one slot.
// Topic characters (`A-Z a-z 0-9 _ - . @ + = ~ :`) include neither braces
// nor glob specials, so names need no escaping once the prefix is checked.

/** A prefix: 1 to 32 characters of letters, digits, `_`, `-` and `.`. */
export const PREFIX_RE = /^[A-Za-z0-9_.-]{1,32}$/;

/** The keys of one topic. */
export interface TopicKeys {
  /** Hash `{e: epoch, o: last offset}`. */
  readonly meta: string;
  /** Stream of publications, entry id `<offset>-0`, field `p`. */
  readonly stream: string;
  /** Hash connection id -> presence entry JSON. */
  readonly presence: string;
  /** Sorted set connection id -> expiry time (Redis clock, ms). */
  readonly presenceExpiry: string;
}

export function topicKeys(prefix: string, topic: string): TopicKeys {
  const base = `${prefix}:{${topic}}`;
  return {
    meta: `${base}:meta`,
    stream: `${base}:stream`,
    presence: `${base}:presence`,
    presenceExpiry: `${base}:presence:exp`,
  };
}

/**
 * A signed publication's `jti` on a topic, held for the replay window
 * (`SET NX PX`). The topic is the hash tag: the key lives on the topic's shard.
 */
export function replayKey(prefix: string, topic: string, id: string): string {
  return `${prefix}:{${topic}}:jti:${id}`;
}

/**
 * One publisher's idempotency keys on a topic: a hash key -> `offset:epoch`
 * and a sorted set of the same keys by when they lapse (Redis clock, ms).
 * The topic is the hash tag, so the publish script touches one slot; the
 * publisher follows it (`_` for the server) and is JSON-quoted, so no
 * subject can pose as another's.
 */
export function idempotencyKeys(
  prefix: string,
  topic: string,
  from: string | null,
): { positions: string; expiry: string } {
  const base = `${prefix}:{${topic}}:idem:${from === null ? "_" : JSON.stringify(from)}`;
  return { positions: base, expiry: `${base}:exp` };
}

/**
 * The counter of history streams one user created in the current window.
 * The user is the hash tag, so the key is one slot; it shares no slot with a
 * topic's keys, so it is read by a script of its own.
 */
export function newStreamsKey(prefix: string, user: string): string {
  return `${prefix}:quota:{${user}}:streams`;
}

/**
 * The revocation cut-offs every hub must apply, kept beside the control
 * channel (shard 0): a hash `[user, session|null]` JSON -> cut-off (ms),
 * and a sorted set of the same members by the time they may be dropped.
 * One hash tag, so one Cluster slot.
 */
export function revocationKeys(prefix: string): { cutOffs: string; expiry: string } {
  return {
    cutOffs: `${prefix}:{control}:revocations`,
    expiry: `${prefix}:{control}:revocations:exp`,
  };
}

/**
 * The recent disconnects every hub must apply (shard 0), as the revocations:
 * a hash `[user]` JSON -> when it was issued (ms), and a sorted set of the
 * same members by when they may be dropped (their `keepMs`).
 */
export function disconnectKeys(prefix: string): { cutOffs: string; expiry: string } {
  return {
    cutOffs: `${prefix}:{control}:disconnects`,
    expiry: `${prefix}:{control}:disconnects:exp`,
  };
}

/**
 * The latest rules sent (shard 0): a hash `v` -> their version, `c` -> the
 * `update_rules` control message as sent. Kept for good: one entry.
 */
export function rulesKey(prefix: string): string {
  return `${prefix}:{control}:rules`;
}

/**
 * The hubs' announcements (shard 0): a hash node id -> announcement, and a
 * sorted set of the same ids by when they lapse (Redis clock, ms).
 */
export function nodeKeys(prefix: string): { info: string; expiry: string } {
  return { info: `${prefix}:{control}:nodes`, expiry: `${prefix}:{control}:nodes:exp` };
}

/** The channel carrying a topic's publications and presence events. */
export function topicChannel(prefix: string, topic: string): string {
  return `${prefix}:t:${topic}`;
}

/** The topic of a topic channel, or undefined for another channel. */
export function channelTopic(prefix: string, channel: string): string | undefined {
  const head = `${prefix}:t:`;
  return channel.startsWith(head) ? channel.slice(head.length) : undefined;
}

/** The cross-hub command channel (shard 0 only). */
export function controlChannel(prefix: string): string {
  return `${prefix}:control`;
}

/** A channel only this engine listens on, for liveness probes. */
export function probeChannel(prefix: string, engineId: string): string {
  return `${prefix}:probe:${engineId}`;
}

/**
 * The Redis glob for a topic pattern: each `*` or `**` segment becomes `*`.
 * Redis's `*` also crosses `:`, so the glob matches a superset of the
 * pattern's topics (`chat:*` also matches `chat:a:b`); the engine filters
 * what arrives with the topic grammar's matcher to be exact.
 */
export function patternGlob(prefix: string, pattern: string): string {
  return topicChannel(prefix, pattern.split(":").map((s) => s === "**" ? "*" : s).join(":"));
}
