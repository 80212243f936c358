/**
 * One view of the cluster: every hub announces itself through the engine
 * (id, name, version, address, uptime, counts, engine health) every
 * `announceIntervalMs`, and the announcement lapses `ttlMs` after the last
 * one, so a hub that died leaves the list within `ttlMs`. The in-memory
 * engine holds one process: its list is this hub alone.
 *
 * @module
 */

import type { Engine } from "../engine/engine.ts";
import type { Clock } from "./clock.ts";
import type { LogEntry } from "./log.ts";

/** This hub's version, as nodes announce it. */
export const HUB_VERSION = "0.1.0";

/** Options of a hub's node announcements (`HubOptions.node`). */
export interface NodeOptions {
  /** This hub's id in the node list. @default {a random id} */
  id?: string;
  /** A name for operators. @default {the id} */
  name?: string;
  /** Where this hub listens, as operators should read it. @default {null} */
  address?: string;
  /** How often this hub announces itself, in ms. @default {5000} */
  announceIntervalMs?: number;
  /**
   * How long an announcement lasts, in ms: a hub that stops announcing
   * (killed) leaves every node list within this bound. At least twice
   * `announceIntervalMs`.
   *
   * @default {15000}
   */
  ttlMs?: number;
  /**
   * How long a cluster-wide admin answer waits for the other hubs, in ms;
   * a hub that has not answered by then is named `missing`.
   *
   * @default {1000}
   */
  answerTimeoutMs?: number;
}

/** One hub as it announced itself, from `hub.nodes()`. */
export interface NodeInfo {
  /** The hub's id, unique in the cluster. */
  readonly id: string;
  /** A name for operators. */
  readonly name: string;
  /** The hub's version. */
  readonly version: string;
  /** Where the hub listens, or `null` when it was not told. */
  readonly address: string | null;
  /** When the hub started, epoch ms. */
  readonly startedAt: number;
  /** Seconds since it started. */
  readonly uptimeSeconds: number;
  /** Open connections. */
  readonly connections: number;
  /** Distinct authenticated users. */
  readonly users: number;
  /** Distinct topics and patterns with subscribers. */
  readonly topics: number;
  /** Total subscriptions. */
  readonly subscriptions: number;
  /** Frames received per second, over the last 10 s. */
  readonly messagesInPerSecond: number;
  /** Frames sent per second, over the last 10 s. */
  readonly messagesOutPerSecond: number;
  /** Whether the hub's engine connections were up. */
  readonly engineOk: boolean;
  /** When this announcement was made, epoch ms (by the hub's clock). */
  readonly announcedAt: number;
}

/** The answer of `hub.nodes()`. */
export interface NodeList {
  /** The id of the hub that answered. */
  readonly self: string;
  /**
   * `cluster`: every live hub of the engine. `local`: this hub only: it
   * runs alone on its own in-memory engine, or the engine keeps no list or
   * could not be read (`error` says why).
   */
  readonly scope: "cluster" | "local";
  /** The live hubs, this one first (fresh), then by id. */
  readonly nodes: readonly NodeInfo[];
  /** Why the list is local when the engine could not be read. */
  readonly error?: string;
}

/** What the announcer needs from the hub. */
export interface NodeAnnouncerDeps {
  /** The engine, or `undefined` for a hub alone on its own in-memory engine: it lists itself. */
  readonly engine: Engine | undefined;
  readonly clock: Clock;
  /** This hub's description now, with `announcedAt` set by the caller. */
  describe(): Omit<NodeInfo, "id" | "name" | "version" | "address" | "announcedAt">;
  readonly log: (entry: LogEntry) => void;
}

/** A hub's announcements; created by {@linkcode createNodeAnnouncer}. */
export interface NodeAnnouncer {
  /** This hub's id. */
  readonly id: string;
  /** How long cluster-wide answers wait for the other hubs, in ms. */
  readonly answerTimeoutMs: number;
  /** This hub's description now. */
  self(): NodeInfo;
  /** The live hubs. */
  list(): Promise<NodeList>;
  /** Stops announcing and withdraws this hub's entry. */
  close(): Promise<void>;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create hub as 'node.${name}' is ${value}: expected a positive integer of ms`,
    );
  }
  return value;
}

/**
 * Starts announcing a hub through its engine (at once, then every
 * `announceIntervalMs`); does nothing but describe itself without an
 * engine or on one without announcements (`scope: "local"`).
 *
 * @param options The node's id, name, address and timing.
 * @param deps The engine, clock, description and logger.
 * @returns The announcer.
 * @throws {RangeError} For a bad interval or TTL.
 *
 * @example One hub on the in-memory engine lists itself
 * ```ts
 * import { createNodeAnnouncer } from "./nodes.ts";
 * import { createMemoryEngine } from "../engine/memory_engine.ts";
 * import { systemClock } from "./clock.ts";
 * import assert from "node:assert/strict";
 *
 * await using engine = createMemoryEngine();
 * const describe = () => ({
 *   startedAt: 0, uptimeSeconds: 0, connections: 0, users: 0, topics: 0, subscriptions: 0,
 *   messagesInPerSecond: 0, messagesOutPerSecond: 0, engineOk: true,
 * });
 * const nodes = createNodeAnnouncer({ id: "hub-a" }, { engine, clock: systemClock, describe, log() {} });
 * assert.deepEqual((await nodes.list()).nodes.map((n) => n.id), ["hub-a"]);
 * await nodes.close();
 * ```
 */
export function createNodeAnnouncer(options: NodeOptions, deps: NodeAnnouncerDeps): NodeAnnouncer {
  const id = options.id ?? crypto.randomUUID().slice(0, 12);
  if (typeof id !== "string" || id === "" || id.length > 128) {
    throw new TypeError("Cannot create hub as 'node.id' is not 1 to 128 characters");
  }
  const name = options.name ?? id;
  const address = options.address ?? null;
  const interval = positiveInteger("announceIntervalMs", options.announceIntervalMs ?? 5000);
  const ttlMs = positiveInteger("ttlMs", options.ttlMs ?? 15_000);
  if (ttlMs < 2 * interval) {
    throw new RangeError(
      `Cannot create hub as 'node.ttlMs' is ${ttlMs}: at least twice 'node.announceIntervalMs' (${interval}) is required`,
    );
  }
  const answerTimeoutMs = positiveInteger("answerTimeoutMs", options.answerTimeoutMs ?? 1000);
  const { engine, clock, describe, log } = deps;
  let closed = false;
  let timer: unknown;
  let failing = false;

  function self(): NodeInfo {
    return {
      id,
      name,
      version: HUB_VERSION,
      address,
      ...describe(),
      announcedAt: clock.now(),
    };
  }

  async function announce(): Promise<void> {
    if (closed || engine?.announce === undefined) return;
    try {
      await engine.announce(id, JSON.stringify(self()), ttlMs);
      failing = false;
    } catch (error) {
      // Logged once per outage, not every interval.
      if (!failing && !closed) {
        log({
          level: "warn",
          event: "node.announce_failed",
          error: error instanceof Error ? error.message : String(error),
        });
      }
      failing = true;
    }
  }

  function arm(): void {
    if (closed) return;
    timer = clock.setTimer(() => void announce().finally(arm), interval);
  }
  if (engine?.announce !== undefined) void announce().finally(arm);

  async function list(): Promise<NodeList> {
    const here = self();
    if (engine?.nodes === undefined) return { self: id, scope: "local", nodes: [here] };
    let texts: readonly string[];
    try {
      texts = await engine.nodes();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { self: id, scope: "local", nodes: [here], error: reason };
    }
    const others: NodeInfo[] = [];
    for (const text of texts) {
      const node = parseNode(text);
      if (node !== undefined && node.id !== id) others.push(node);
    }
    others.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return { self: id, scope: "cluster", nodes: [here, ...others] };
  }

  return {
    id,
    answerTimeoutMs,
    self,
    list,
    async close() {
      if (closed) return;
      closed = true;
      clock.clearTimer(timer);
      await engine?.withdraw?.(id).catch(() => {});
    },
  };
}

/** An announcement read back, or `undefined` when it is not one. */
function parseNode(text: string): NodeInfo | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null && typeof value.id === "string"
      ? value as NodeInfo
      : undefined;
  } catch {
    return undefined;
  }
}
