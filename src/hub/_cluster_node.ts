// This hub as one node of its engine's cluster: its announcements in the
// node list, the questions it asks the other hubs, and the cluster view
// (`hub.cluster`) with its side of the control channel. Internal.

import type { Engine } from "../engine/engine.ts";
import type { Clock } from "./clock.ts";
import {
  type ClusterControl,
  type ClusterLocal,
  type ClusterView,
  createClusterView,
} from "./cluster.ts";
import { createClusterAsks } from "./cluster_asks.ts";
import type { LogEntry } from "./log.ts";
import { createNodeAnnouncer, type NodeList, type NodeOptions } from "./nodes.ts";

/** What the node needs of its hub: the engine, and what the view does here. */
export interface ClusterNodeDeps
  extends Omit<ClusterLocal, "nodeId" | "asks" | "send" | "failed" | "now"> {
  engine: Engine;
  /** Whether the hub created its engine: then it is alone, with nothing to announce to. */
  ownsEngine: boolean;
  clock: Clock;
  /** When the hub was created, epoch ms. */
  startedAt: number;
  log(entry: LogEntry): void;
}

/** One hub's node, created by {@linkcode createClusterNode}. */
export interface ClusterNode {
  /** This hub's id in the node list. */
  readonly id: string;
  /** The live hubs. */
  list(): Promise<NodeList>;
  /** `hub.cluster`. */
  readonly view: ClusterView;
  /** The view's side of the control channel. */
  readonly control: ClusterControl;
  /** Stops asking and announcing, and withdraws this hub's entry. */
  close(): Promise<void>;
}

/** Checks the `node` options and starts announcing this hub. */
export function createClusterNode(options: NodeOptions, deps: ClusterNodeDeps): ClusterNode {
  const { engine, clock, log } = deps;
  const announcer = createNodeAnnouncer(options, {
    // A hub on its own in-memory engine is alone: nothing to announce to.
    engine: deps.ownsEngine ? undefined : engine,
    clock,
    log,
    describe() {
      const { uptimeSeconds, connections, users, topics, subscriptions, ...rest } = deps.stats();
      const health = (engine as { health?: () => { ok: boolean } }).health;
      return {
        startedAt: deps.startedAt,
        uptimeSeconds,
        connections,
        users,
        topics,
        subscriptions,
        messagesInPerSecond: rest.messagesInPerSecond,
        messagesOutPerSecond: rest.messagesOutPerSecond,
        engineOk: typeof health === "function" ? health.call(engine).ok : true,
      };
    },
  });
  const asks = createClusterAsks({
    nodeId: announcer.id,
    clock,
    answerTimeoutMs: announcer.answerTimeoutMs,
    list: () => announcer.list(),
    send: (command) => engine.control(command),
  });
  const { view, control } = createClusterView({
    nodeId: announcer.id,
    asks,
    send: (command) => engine.control(command),
    sendToUsers: deps.sendToUsers,
    disconnectUser: deps.disconnectUser,
    disconnectConnection: deps.disconnectConnection,
    revoke: deps.revoke,
    revocationKeepMs: deps.revocationKeepMs,
    now: () => clock.now(),
    userStatus: deps.userStatus,
    subscriberCount: deps.subscriberCount,
    stats: deps.stats,
    listConnections: deps.listConnections,
    failed(what, error) {
      log({
        level: "warn",
        event: "cluster.answer_failed",
        what,
        error: error instanceof Error ? error.name : typeof error,
      });
    },
  });
  return {
    id: announcer.id,
    list: () => announcer.list(),
    view,
    control,
    async close() {
      asks.close();
      await announcer.close();
    },
  };
}
