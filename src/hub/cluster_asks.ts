/**
 * Questions to every hub of the engine, over its control channel: a command
 * carries an `ask` (an id and this hub's node id), every hub that applies it
 * answers with an `answer` command addressed to the asker, and the asker
 * collects the answers of the hubs its node list names for at most
 * `answerTimeoutMs`. The answer says which hubs answered and which did not:
 * a hub that died within its announcement's TTL, or whose engine connection
 * is down, is `missing`, never silently left out.
 *
 * @module
 */

import type { ControlAsk, ControlCommand } from "../engine/engine.ts";
import type { Clock } from "./clock.ts";
import type { NodeList } from "./nodes.ts";

/** Most questions waiting for answers at once; past it an answer is this hub's alone. */
export const MAX_PENDING_ASKS = 256;

/**
 * The answers of every hub to one question, by node id.
 *
 * @example Sum the connections a disconnect closed
 * ```ts
 * import type { ClusterAnswer } from "@realtime/hub";
 *
 * const answer: ClusterAnswer<number> = {
 *   scope: "cluster", self: "hub-a", nodes: { "hub-a": 0, "hub-b": 2 }, missing: [],
 * };
 * const total = Object.values(answer.nodes).reduce((a, b) => a + b, 0); // 2
 * ```
 */
export interface ClusterAnswer<T> {
  /**
   * `cluster`: every hub the node list named was asked (see `missing` for
   * those that did not answer in time). `local`: this hub's answer alone,
   * because it runs alone on its own in-memory engine (then it is the whole
   * answer) or the engine could not be used (`error` says why).
   */
  readonly scope: "cluster" | "local";
  /** The id of the hub that asked. */
  readonly self: string;
  /** Each answering hub's answer, by node id. */
  readonly nodes: Readonly<Record<string, T>>;
  /** Hubs in the node list that did not answer within `node.answerTimeoutMs`. */
  readonly missing: readonly string[];
  /** Why the answer is local, when the engine failed; or that the one node asked is not listed. */
  readonly error?: string;
}

/** What {@linkcode createClusterAsks} needs from the hub. */
export interface ClusterAsksDeps {
  /** This hub's node id. */
  readonly nodeId: string;
  readonly clock: Clock;
  /** How long to wait for the other hubs' answers, in ms. */
  readonly answerTimeoutMs: number;
  /** The live hubs. */
  list(): Promise<NodeList>;
  /** Sends a command through the engine to every hub. */
  send(command: ControlCommand): Promise<void>;
}

/** One question: the command to send, this hub's own answer, and how to read another hub's. */
export interface Question<T> {
  /** The command carrying `ask`. */
  command(ask: ControlAsk): ControlCommand;
  /**
   * This hub's answer (and, for an action, its effect here), computed before
   * the command is sent so it happens even when the engine fails.
   */
  local(): T;
  /** Another hub's answer, checked (it came through the engine), or `undefined` to drop it. */
  read(body: unknown): T | undefined;
  /** Only this node is asked, when set. */
  readonly to?: string;
}

/** The asking side; created by {@linkcode createClusterAsks}. */
export interface ClusterAsks {
  /**
   * Asks every hub (or `question.to`) and waits for their answers. Resolves
   * with `scope: "local"` and `error` when the engine could not carry the
   * question: an action's caller must then say it was not carried.
   */
  ask<T>(question: Question<T>): Promise<ClusterAnswer<T>>;
  /** Takes an `answer` command from the engine; ignores one for another hub or a question no longer waited for. */
  receive(command: Extract<ControlCommand, { type: "answer" }>): void;
  /** Ends every wait at once (the hub closes). */
  close(): void;
}

interface Pending {
  readonly expected: Set<string>;
  readonly nodes: Map<string, unknown>;
  read(body: unknown): unknown;
  done(): void;
}

/**
 * Creates the asking side of a hub.
 *
 * @param deps The node id, clock, timeout, node list and engine.
 * @returns The asker.
 *
 * @example A hub alone answers for itself
 * ```ts
 * import { createClusterAsks } from "./cluster_asks.ts";
 * import { systemClock } from "./clock.ts";
 * import assert from "node:assert/strict";
 *
 * const asks = createClusterAsks({
 *   nodeId: "hub-a",
 *   clock: systemClock,
 *   answerTimeoutMs: 1000,
 *   list: () => Promise.resolve({ self: "hub-a", scope: "local", nodes: [] }),
 *   send: () => Promise.resolve(),
 * });
 * const answer = await asks.ask({
 *   command: (ask) => ({ type: "query", ask, query: { kind: "stats" } }),
 *   local: () => 3,
 *   read: (body) => typeof body === "number" ? body : undefined,
 * });
 * assert.deepEqual(answer, { scope: "local", self: "hub-a", nodes: { "hub-a": 3 }, missing: [] });
 * ```
 */
export function createClusterAsks(deps: ClusterAsksDeps): ClusterAsks {
  const { nodeId, clock, answerTimeoutMs } = deps;
  const pending = new Map<string, Pending>();
  let counter = 0;
  const prefix = crypto.randomUUID().slice(0, 8);

  function localOnly<T>(question: Question<T>, error?: string): ClusterAnswer<T> {
    const here = question.to === undefined || question.to === nodeId;
    const nodes: Record<string, T> = here ? { [nodeId]: question.local() } : {};
    const missing = here ? [] : [question.to!];
    return error === undefined
      ? { scope: "local", self: nodeId, nodes, missing }
      : { scope: "local", self: nodeId, nodes, missing, error };
  }

  async function ask<T>(question: Question<T>): Promise<ClusterAnswer<T>> {
    const list = await deps.list();
    if (list.scope === "local") return localOnly(question, list.error);
    if (pending.size >= MAX_PENDING_ASKS) {
      return localOnly(question, `${MAX_PENDING_ASKS} cluster questions are waiting for answers`);
    }
    const listed = list.nodes.map((n) => n.id);
    if (question.to !== undefined && !listed.includes(question.to)) {
      // Nobody to wait for: the node is not (or no longer) in the list.
      return {
        scope: "cluster",
        self: nodeId,
        nodes: {},
        missing: [question.to],
        error: `No live node '${question.to.slice(0, 128)}' in the node list`,
      };
    }
    const wanted = question.to === undefined ? listed : [question.to];
    const expected = new Set(wanted.filter((id) => id !== nodeId));
    // A Map: node ids come through the engine and may be any string.
    const nodes = new Map<string, T>();
    const id = `${prefix}-${(++counter).toString(36)}`;
    const askOf: ControlAsk = question.to === undefined
      ? { id, from: nodeId }
      : { id, from: nodeId, to: question.to };
    let timer: unknown;
    const answered = new Promise<void>((resolve) => {
      pending.set(id, {
        expected,
        nodes,
        read: question.read,
        done: resolve,
      });
      timer = clock.setTimer(resolve, answerTimeoutMs);
    });
    try {
      if (question.to === undefined || question.to === nodeId) {
        nodes.set(nodeId, question.local());
      }
      // Sent even when the list names no other hub: an action must reach a
      // hub whose announcement is not (or no longer) in the list, such as
      // every hub right after the engine's store lost its keys.
      try {
        await deps.send(question.command(askOf));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return {
          scope: "local",
          self: nodeId,
          nodes: Object.fromEntries(nodes),
          missing: [...expected],
          error: reason,
        };
      }
      if (expected.size > 0) await answered;
      const missing = [...expected].filter((node) => !nodes.has(node)).sort();
      return { scope: "cluster", self: nodeId, nodes: Object.fromEntries(nodes), missing };
    } finally {
      clock.clearTimer(timer);
      pending.delete(id);
    }
  }

  function receive(command: Extract<ControlCommand, { type: "answer" }>): void {
    if (command.ask?.from !== nodeId || typeof command.node !== "string") return;
    const waiting = pending.get(command.ask.id);
    if (waiting === undefined || waiting.nodes.has(command.node)) return;
    const value = waiting.read(command.body);
    if (value === undefined) return;
    waiting.nodes.set(command.node, value);
    if ([...waiting.expected].every((node) => waiting.nodes.has(node))) waiting.done();
  }

  return {
    ask,
    receive,
    close() {
      for (const waiting of pending.values()) waiting.done();
    },
  };
}
