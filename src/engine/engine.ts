/**
 * The engine seam: per-topic state shared by every hub process. An engine
 * carries publications to the processes that have subscribers, keeps each
 * topic's history with offsets and an epoch, tracks presence, and relays
 * commands aimed at users (wherever they are connected) and operator
 * actions. The in-memory engine serves one process; a networked engine
 * (Redis) must satisfy the same contract, checked by the same conformance
 * tests (`tests/engine/_conformance.ts`). See `docs/engine.md`.
 *
 * @module
 */

import type { AclRule } from "../acl/rules.ts";

/**
 * Where a publication sits in its topic's stream. `offset` is a strictly
 * increasing integer per topic, starting at 1; `epoch` changes whenever the
 * topic's history was lost (engine restart, eviction of the topic's
 * metadata), so a position is comparable only with one of the same epoch.
 * Offset 0 means "before the first publication".
 *
 * @example Compare two positions
 * ```ts
 * import type { StreamPosition } from "./engine.ts";
 *
 * const seen: StreamPosition = { offset: 41, epoch: "k3f9" };
 * const now: StreamPosition = { offset: 44, epoch: "k3f9" };
 * const missed = seen.epoch === now.epoch ? now.offset - seen.offset : Infinity; // 3
 * ```
 */
export interface StreamPosition {
  /** Offset of the last publication, 0 before the first. */
  readonly offset: number;
  /** Identity of the topic's current stream. */
  readonly epoch: string;
}

/**
 * One publication as the engine stores and delivers it. The hub encodes the
 * payload once; history returns `data` (and `extra`) byte for byte as
 * published, so a replayed message is identical to the live one.
 *
 * @example A publication from a user
 * ```ts
 * import type { EnginePublication } from "./engine.ts";
 *
 * const publication: EnginePublication = {
 *   data: JSON.stringify({ text: "hi" }),
 *   from: "alice",
 *   ts: 1_700_000_000_000,
 * };
 * ```
 */
export interface EnginePublication {
  /** The payload, already encoded as JSON text. */
  readonly data: string;
  /** Event name of a server-pushed event. */
  readonly event?: string;
  /** The publisher's subject, or `null` when the server published it. */
  readonly from: string | null;
  /** Publication time in epoch milliseconds, set by the publisher. */
  readonly ts: number;
  /**
   * Opaque text kept and returned untouched, such as the compact JWS of a
   * signed publication. Engines never parse it.
   */
  readonly extra?: string;
}

/**
 * A publication delivered to a local subscription. `offset` and `epoch` are
 * present only when the topic keeps history.
 *
 * @example Track the last position seen
 * ```ts
 * import type { Delivery, StreamPosition } from "./engine.ts";
 *
 * let last: StreamPosition | undefined;
 * const onPublication = (delivery: Delivery) => {
 *   if (delivery.offset !== undefined) last = { offset: delivery.offset, epoch: delivery.epoch! };
 * };
 * onPublication({ topic: "chat:a", publication: { data: "1", from: null, ts: 0 } });
 * ```
 */
export interface Delivery {
  /** The concrete topic published on (also for a pattern subscription). */
  readonly topic: string;
  /** What was published. */
  readonly publication: EnginePublication;
  /** The publication's offset, when the topic keeps history. */
  readonly offset?: number;
  /** The topic's epoch, when the topic keeps history. */
  readonly epoch?: string;
}

/**
 * One connection present on a topic. Two tabs of one user are two entries
 * with the same `user`.
 *
 * @example An entry for a browser tab
 * ```ts
 * import type { PresenceEntry } from "./engine.ts";
 *
 * const entry: PresenceEntry = { connection: "c-1", user: "alice", info: { name: "Alice" } };
 * ```
 */
export interface PresenceEntry {
  /** Connection id, unique across processes. */
  readonly connection: string;
  /** The user's subject. */
  readonly user: string;
  /** Connection info from a token claim, any JSON value. */
  readonly info?: unknown;
}

/**
 * Counts of who is present on a topic.
 *
 * @example Two tabs of one user
 * ```ts
 * import type { PresenceStats } from "./engine.ts";
 *
 * const stats: PresenceStats = { connections: 2, users: 1 };
 * ```
 */
export interface PresenceStats {
  /** Connections present. */
  readonly connections: number;
  /** Distinct users among them. */
  readonly users: number;
}

/**
 * A join or leave on a topic, delivered to its local subscriptions.
 *
 * @example Show who joined
 * ```ts
 * import type { PresenceEvent } from "./engine.ts";
 *
 * const describe = (e: PresenceEvent) => `${e.entry.user} ${e.type === "join" ? "joined" : "left"}`;
 * describe({ topic: "chat:a", type: "join", entry: { connection: "c-1", user: "alice" } });
 * ```
 */
export interface PresenceEvent {
  /** The concrete topic. */
  readonly topic: string;
  /** Whether the connection joined or left. */
  readonly type: "join" | "leave";
  /** The connection that joined or left. */
  readonly entry: PresenceEntry;
}

/**
 * Receives what an engine delivers to one local subscription. Publications
 * of one topic arrive in offset order, each exactly once.
 *
 * @example A listener that counts
 * ```ts
 * import type { EngineListener } from "./engine.ts";
 *
 * let count = 0;
 * const listener: EngineListener = { onPublication: () => void count++ };
 * ```
 */
export interface EngineListener {
  /** Called for every publication on the subscribed topic or pattern. */
  onPublication(delivery: Delivery): void;
  /** Called for joins and leaves on the subscribed topic or pattern. */
  onPresence?(event: PresenceEvent): void;
  /**
   * Called when a networked engine may have missed publications for this
   * subscription: an offset jump or an epoch change on a topic, or its
   * connection to the store dropped and was restored. Deliveries go on; the
   * hub tells the affected clients to recover with their last position.
   * The in-memory engine never calls it.
   */
  onLost?(event: LostEvent): void;
}

/**
 * Why deliveries to a subscription may be incomplete, from
 * {@linkcode EngineListener.onLost}.
 *
 * @example Tell a client to recover
 * ```ts
 * import type { LostEvent } from "./engine.ts";
 *
 * const describe = (e: LostEvent) => `recover ${e.topic} (${e.reason})`;
 * describe({ topic: "chat:a", reason: "gap" });
 * ```
 */
export interface LostEvent {
  /**
   * The concrete topic that lost publications (`gap`, `epoch`), or the
   * subscription's topic or pattern (`reconnect`).
   */
  readonly topic: string;
  /**
   * `gap`: an offset was skipped; `epoch`: the topic's history was lost and
   * restarted; `reconnect`: the engine's subscriber connection dropped and
   * every channel was subscribed again and verified.
   */
  readonly reason: "gap" | "epoch" | "reconnect";
}

/**
 * A local subscription to a topic or pattern, from {@linkcode Engine.subscribe}.
 *
 * @example Stop a subscription
 * ```ts
 * import { createMemoryEngine } from "./memory_engine.ts";
 *
 * await using engine = createMemoryEngine();
 * const subscription = await engine.subscribe("chat:a", { onPublication() {} });
 * await subscription.unsubscribe();
 * ```
 */
export interface EngineSubscription {
  /** Stops delivery to this subscription; idempotent. */
  unsubscribe(): Promise<void>;
}

/**
 * Options of {@linkcode Engine.history}.
 *
 * @example The ten newest publications
 * ```ts
 * import type { HistoryQuery } from "./engine.ts";
 *
 * const query: HistoryQuery = { limit: 10, reverse: true };
 * ```
 */
export interface HistoryQuery {
  /**
   * Oldest-first: only publications after this position. Newest-first
   * (`reverse`): only publications before it. When its epoch is not the
   * topic's current one, no publications are returned (compare
   * `position.epoch`).
   */
  readonly since?: StreamPosition;
  /** Most publications returned, a non-negative integer; 0 reads only the position. */
  readonly limit: number;
  /** Newest first. @default {false} */
  readonly reverse?: boolean;
}

/**
 * A publication read back from history, with its offset.
 *
 * @example Print history
 * ```ts
 * import type { HistoryEntry } from "./engine.ts";
 *
 * const line = (e: HistoryEntry) => `${e.offset}: ${e.publication.data}`;
 * ```
 */
export interface HistoryEntry {
  /** Offset of the publication in its topic. */
  readonly offset: number;
  /** The publication, exactly as published. */
  readonly publication: EnginePublication;
}

/**
 * The answer of {@linkcode Engine.history}.
 *
 * @example Read the current position
 * ```ts
 * import type { HistoryResult } from "./engine.ts";
 *
 * const result: HistoryResult = { publications: [], position: { offset: 0, epoch: "e" } };
 * ```
 */
export interface HistoryResult {
  /** Publications, in the order asked for. */
  readonly publications: readonly HistoryEntry[];
  /** The topic's current position when read. */
  readonly position: StreamPosition;
}

/**
 * The answer of a recovery: either every missed publication, in order, or
 * none at all. Never a partial replay presented as complete.
 *
 * @example Act on a recovery
 * ```ts
 * import type { Recovery } from "./engine.ts";
 *
 * const replayed = (r: Recovery) => r.recovered ? r.publications.length : 0;
 * ```
 */
export type Recovery =
  | {
    /** Every missed publication follows. */
    readonly recovered: true;
    /** The missed publications, oldest first, contiguous offsets. */
    readonly publications: readonly HistoryEntry[];
    /** The topic's position after the last of them. */
    readonly position: StreamPosition;
  }
  | {
    /** Nothing is replayed: the client must reload its state. */
    readonly recovered: false;
    /** Why: a different epoch, a gap larger than history, above the cap, or a position ahead of the stream. */
    readonly reason: "epoch" | "gap" | "cap" | "ahead";
    /** The topic's current position, to continue from. */
    readonly position: StreamPosition;
  };

/**
 * Who asked for answers to a command: every process that applies a command
 * carrying it answers with an `answer` command addressed to `from` with the
 * same `id` (the hub's cluster-wide admin answers). The engine carries it
 * untouched.
 *
 * @example A question from hub A
 * ```ts
 * import type { ControlAsk } from "./engine.ts";
 *
 * const ask: ControlAsk = { id: "q-17", from: "hub-a" };
 * ```
 */
export interface ControlAsk {
  /** The question's id, unique on the asking process. */
  readonly id: string;
  /** The asking process's node id. */
  readonly from: string;
  /** Only this node answers (and applies the command), when set. */
  readonly to?: string;
}

/**
 * A command that crosses processes: aimed at users wherever they are
 * connected, or an operator action every process applies. With `ask`,
 * every process that applies it answers how many connections it touched.
 *
 * @example Disconnect a user on every hub
 * ```ts
 * import type { ControlCommand } from "./engine.ts";
 *
 * const command: ControlCommand = { type: "disconnect_user", user: "mallory", reason: "Spam" };
 * ```
 */
export type ControlCommand =
  | {
    /** Deliver an event to one user's connections. */
    readonly type: "send_to_user";
    /** The user's subject. */
    readonly user: string;
    /** Event name. */
    readonly event: string;
    /** The payload, already encoded as JSON text. */
    readonly data: string;
    /** Answer how many connections were reached, when set. */
    readonly ask?: ControlAsk;
  }
  | {
    /** Deliver an event to several users' connections. */
    readonly type: "broadcast_users";
    /** The users' subjects. */
    readonly users: readonly string[];
    /** Event name, if any. */
    readonly event?: string;
    /** The payload, already encoded as JSON text. */
    readonly data: string;
    /** Answer how many connections were reached, when set. */
    readonly ask?: ControlAsk;
  }
  | {
    /** Close a user's connections. */
    readonly type: "disconnect_user";
    /** The user's subject. */
    readonly user: string;
    /** Close reason shown to the client. */
    readonly reason: string;
    /**
     * When it was issued, epoch ms: only connections accepted by then are
     * closed. With it (and `keepMs`), a networked engine keeps the command
     * and hands it back after a reconnect, to a process that missed it.
     */
    readonly at?: number;
    /** How long a networked engine keeps it, in ms (with `at`). */
    readonly keepMs?: number;
    /** Answer how many connections were closed, when set. */
    readonly ask?: ControlAsk;
  }
  | {
    /** Close one connection, on whichever process holds it. */
    readonly type: "disconnect_connection";
    /** The connection's id (unique across processes). */
    readonly connection: string;
    /** Close reason shown to the client. */
    readonly reason: string;
    /** Answer how many connections were closed (0 or 1), when set. */
    readonly ask?: ControlAsk;
  }
  | {
    /** Close a user's connections and refuse tokens issued up to `at`. */
    readonly type: "revoke";
    /** The user's subject. */
    readonly user: string;
    /** Revocation time in epoch milliseconds. */
    readonly at: number;
    /** Only this session's tokens and connections (the `sid` claim), when set. */
    readonly session?: string;
    /**
     * How long the cut-off matters, in milliseconds (the longest a token
     * issued before it stays valid); a networked engine keeps it that long.
     * Absent: kept until the engine's store is cleared.
     */
    readonly keepMs?: number;
    /** Answer how many connections were closed, when set. */
    readonly ask?: ControlAsk;
  }
  | {
    /** Replace the ACL rules and re-check live subscriptions. */
    readonly type: "update_rules";
    /** The new rules. */
    readonly rules: readonly AclRule[];
    /**
     * The rules' version: when they were set (epoch ms) and a random part.
     * A networked engine keeps the latest rules with it and hands them back
     * after a reconnect; a process applies them once per version.
     */
    readonly version?: string;
  }
  | {
    /** A question every process (or `ask.to`) answers, opaque to the engine. */
    readonly type: "query";
    /** Who asks. */
    readonly ask: ControlAsk;
    /** The question, a JSON object the hub reads. */
    readonly query: Readonly<Record<string, unknown>>;
  }
  | {
    /** One process's answer to a command with `ask`. */
    readonly type: "answer";
    /** The question answered (`from` is who receives it). */
    readonly ask: ControlAsk;
    /** The answering process's node id. */
    readonly node: string;
    /** The answer, any JSON value. */
    readonly body: unknown;
  };

/**
 * A settled promise of `undefined` that {@linkcode Engine.publish} may return
 * for a publication that got no position (its topic keeps no history) and
 * was delivered to local subscribers before `publish` returned. A caller that
 * waits on a publication only to hear of its failure may skip this one: the
 * hub then adds no promise reaction per fire-and-forget publish.
 *
 * @example Skip waiting on a publication that is already done
 * ```ts
 * import { createMemoryEngine } from "./memory_engine.ts";
 * import { PUBLISHED } from "./engine.ts";
 * import assert from "node:assert/strict";
 *
 * await using engine = createMemoryEngine();
 * const sent = engine.publish("chat:a", { data: '"hi"', from: null, ts: 0 });
 * assert.equal(sent, PUBLISHED);
 * ```
 */
export const PUBLISHED: Promise<undefined> = Promise.resolve(undefined);

/**
 * Options of one {@linkcode Engine.publish}.
 *
 * @example A retry-safe publication
 * ```ts
 * import type { EnginePublishOptions } from "./engine.ts";
 *
 * const options: EnginePublishOptions = { idempotencyKey: "6f1c2a9e-07" };
 * ```
 */
export interface EnginePublishOptions {
  /**
   * Makes the publication safe to retry: a publication with a key the
   * same publisher (`from`) used on the same topic within the engine's
   * idempotency window is not published again; `publish` resolves to the
   * first one's position (`undefined` on a topic without history). 1 to 64
   * printable ASCII characters without space.
   *
   * @default {undefined}
   */
  readonly idempotencyKey?: string;
  /**
   * Called, before `publish` resolves, when `idempotencyKey` was a repeat
   * and nothing was published: the hub then reports no second publication
   * (to its `events` observer and webhooks).
   *
   * @default {undefined}
   */
  readonly onRepeat?: () => void;
}

/**
 * Per-topic state shared by hub processes: publications with offsets and
 * epochs, history, presence and cross-process commands. This is the contract
 * a networked engine must also satisfy:
 *
 * - `publish` resolves once the publication is stored (when the topic keeps
 *   history) and on its way to every subscribed process; local subscriptions
 *   receive each publication once, in offset order per topic.
 * - Offsets increase by exactly 1 per publication within an epoch; a new
 *   epoch starts at offset 1 and means every older position is void.
 * - `recover` is all or nothing (see {@linkcode Recovery}).
 * - A publication with an `idempotencyKey` seen from the same publisher on
 *   the same topic within the engine's idempotency window (count and time,
 *   see `docs/engine.md`) is neither stored nor delivered again; `publish`
 *   answers with the first one's position.
 * - After `close()`, every method rejects with an `EngineError` of code
 *   `ENGINE_CLOSED` and no listener is called again.
 *
 * Topics that keep no history (by the engine's history policy) get no
 * offsets: `publish` resolves to `undefined`, deliveries carry no position,
 * and `position`/`history`/`recover` reject with `NO_HISTORY`.
 *
 * @example Publish and read history
 * ```ts
 * import { createMemoryEngine } from "./memory_engine.ts";
 * import assert from "node:assert/strict";
 *
 * await using engine = createMemoryEngine({ history: [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }] });
 * const position = await engine.publish("chat:a", { data: '"hi"', from: "alice", ts: 0 });
 * assert.equal(position?.offset, 1);
 * const { publications } = await engine.history("chat:a", { limit: 10 });
 * assert.equal(publications[0].publication.data, '"hi"');
 * ```
 */
export interface Engine {
  /**
   * Publishes on a concrete topic.
   *
   * @returns The publication's position (for a repeated idempotency key, the
   * first publication's), or `undefined` when the topic keeps no history.
   */
  publish(
    topic: string,
    publication: EnginePublication,
    options?: EnginePublishOptions,
  ): Promise<StreamPosition | undefined>;
  /**
   * Subscribes this process to a concrete topic or a pattern. Resolves once
   * deliveries are guaranteed to reach `listener`.
   */
  subscribe(topicOrPattern: string, listener: EngineListener): Promise<EngineSubscription>;
  /**
   * Optional: delivers the publications and presence events of every
   * concrete topic to one listener, at once and with no per-topic
   * subscription. An engine offers it when every publication passes through
   * this process anyway (the in-memory engine); the hub then keeps no engine
   * state per topic and subscribes only patterns. Returns a function that
   * stops the delivery.
   */
  observe?(listener: EngineListener): () => void;
  /** The topic's current position; creates its epoch when the topic has none yet. */
  position(topic: string): Promise<StreamPosition>;
  /** Reads a topic's history. */
  history(topic: string, query: HistoryQuery): Promise<HistoryResult>;
  /**
   * Everything published on `topic` after `since`, or nothing: at most
   * `maxRecover` publications are replayed, above that the answer is
   * `recovered: false`.
   */
  recover(topic: string, since: StreamPosition, maxRecover: number): Promise<Recovery>;
  /** Marks a connection present on a topic; repeating it refreshes the entry without a new join. */
  presenceAdd(topic: string, entry: PresenceEntry): Promise<void>;
  /** Removes a connection from a topic's presence; a no-op when it is absent. */
  presenceRemove(topic: string, connection: string): Promise<void>;
  /** Who is present on a topic, one entry per connection. */
  presence(topic: string): Promise<readonly PresenceEntry[]>;
  /** How many connections and distinct users are present on a topic. */
  presenceStats(topic: string): Promise<PresenceStats>;
  /**
   * Sends a command to every process (including this one). Resolves once
   * the command is on its way to every process; a networked engine first
   * stores a `revoke` (for its `keepMs`), a `disconnect_user` with `at`
   * and `keepMs` (for that long) and an `update_rules` with a
   * `version` (the latest only), in the same step as it sends it, and
   * rejects with `ENGINE_UNAVAILABLE` when it could do neither.
   */
  control(command: ControlCommand): Promise<void>;
  /**
   * Sets the function that receives every control command; returns a
   * function that removes it. A networked engine hands the stored `revoke`
   * and `disconnect_user` commands (each with the `at` it was made) and the latest stored
   * `update_rules` (with its `version`) to the handler again soon after it
   * is set and after every reconnect of its control channel, so a process
   * that missed one while it was cut off still applies it.
   */
  onControl(handler: (command: ControlCommand) => void): () => void;
  /**
   * Optional: records this process's announcement (opaque text, the hub's
   * node description) under `id` for `ttlMs`; announcing again refreshes
   * it. An entry not refreshed in time is gone: a process that died leaves
   * the list within `ttlMs`.
   */
  announce?(id: string, info: string, ttlMs: number): Promise<void>;
  /** Optional: removes an announcement at once (a clean shutdown). */
  withdraw?(id: string): Promise<void>;
  /** Optional: every live announcement, from every process of the engine. */
  nodes?(): Promise<readonly string[]>;
  /**
   * Optional: records `id` (a signed publication's `jti`) for `topic` for
   * `ttlMs`, unless any process recorded it before and it has not lapsed:
   * resolves `true` when this call recorded it, `false` for a replay. The
   * hub's replay window, shared by every process of a networked engine.
   */
  claimOnce?(topic: string, id: string, ttlMs: number): Promise<boolean>;
  /** Releases everything: subscriptions, timers, stored state, connections. */
  close(): Promise<void>;
  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Time as a dependency of an engine: the same shape as the hub's `Clock`,
 * declared here because the engine sits below the hub.
 *
 * @example A clock over the system timers
 * ```ts
 * import type { EngineClock } from "./engine.ts";
 *
 * const clock: EngineClock = {
 *   now: () => Date.now(),
 *   setTimer: (fn, ms) => setTimeout(fn, ms),
 *   clearTimer: (handle) => clearTimeout(handle as number),
 * };
 * ```
 */
export interface EngineClock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; returns a handle for `clearTimer`. */
  setTimer(fn: () => void, ms: number): unknown;
  /** Cancels a timer; a no-op for a timer that already ran. */
  clearTimer(handle: unknown): void;
}
