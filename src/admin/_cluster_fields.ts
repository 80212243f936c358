// How the admin API labels a cluster-wide answer: its scope, the hub that
// answered, how many hubs answered (and each one's answer), and the hubs of
// the node list that did not answer within `node.answerTimeoutMs`.

import type { ClusterAnswer } from "../hub/cluster.ts";

/** The labels of a cluster-wide answer, with each hub's answer under `nodes`. */
export function clusterFields<T>(answer: ClusterAnswer<T>): Record<string, unknown> {
  return { ...clusterSummary(answer), nodes: answer.nodes };
}

/** The labels of a cluster-wide answer, naming the hubs that answered (`answeredBy`) instead. */
export function clusterSummary<T>(answer: ClusterAnswer<T>): Record<string, unknown> {
  return {
    scope: answer.scope,
    self: answer.self,
    answered: Object.keys(answer.nodes).length,
    answeredBy: Object.keys(answer.nodes).sort(),
    missing: answer.missing,
    ...(answer.error === undefined ? {} : { error: answer.error }),
  };
}

/** The sum of every hub's count. */
export function total(answer: ClusterAnswer<number>): number {
  return Object.values(answer.nodes).reduce((sum, n) => sum + n, 0);
}
