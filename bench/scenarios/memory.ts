/**
 * Memory: resident memory of idle, authenticated, subscribed connections.
 *
 * @module
 */

import type { Scenario } from "./_scenario.ts";

/** The memory scenario. */
export const memory: Scenario = {
  id: "memory",
  title: "Idle memory",
  describe: ({ memory: m }) =>
    `${m.connections} idle authenticated connections, each subscribed to its own topic; ` +
    `(VmRSS after - VmRSS before) / N from /proc/PID/status, read ${m.settleMs} ms after the ` +
    `last subscription was acknowledged (the "soon after" figure, as most harnesses read it), ` +
    `and again once the connections sat idle ${m.settledMs / 1000} s longer (the "settled" ` +
    `figure: what the connect storm left in the young generation and the allocator is given ` +
    `back by then). Marginal: the same over the last nine tenths only ` +
    `(VmRSS after - VmRSS once the first tenth was subscribed), without what a server grows by ` +
    `once on its first connections.`,
  params: ({ memory: m }) => ({ ...m }),
  tokens: ({ memory: m }) => m.connections,
  metrics: [
    { key: "kibPerConnection", label: "KiB/connection, soon after", digits: 1, ratio: true },
    { key: "settledKiB", label: "KiB/connection, settled", digits: 1, ratio: true },
    { key: "marginalKiB", label: "marginal KiB/connection", digits: 1, ratio: true },
    { key: "rssBeforeMiB", label: "RSS before MiB", digits: 0 },
    { key: "rssAfterMiB", label: "RSS after MiB", digits: 0 },
  ],
  figures: (result, marks) => {
    const before = marks.get("before");
    const warm = marks.get("warm");
    const after = marks.get("after");
    const settled = marks.get("settled");
    if (
      before === undefined || warm === undefined || after === undefined || settled === undefined
    ) {
      throw new Error("Missing mark");
    }
    const connections = Number(result.connections);
    return {
      kibPerConnection: (after.server.rssKiB - before.server.rssKiB) / connections,
      settledKiB: (settled.server.rssKiB - before.server.rssKiB) / connections,
      marginalKiB: (after.server.rssKiB - warm.server.rssKiB) /
        (connections - Number(result.warmConnections)),
      rssBeforeMiB: before.server.rssKiB / 1024,
      rssAfterMiB: after.server.rssKiB / 1024,
    };
  },
};
