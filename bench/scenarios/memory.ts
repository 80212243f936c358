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
    `(VmRSS - VmRSS before the first connection) / N from /proc/PID/status. "Soon after": read ` +
    `${m.settleMs} ms after the last subscription was acknowledged, as most harnesses read it ` +
    `(what the connect storm left in the young generation and the allocator is still there). ` +
    `"Settled": the lowest of the readings taken every ${m.sampleMs / 1000} s while the ` +
    `connections then sit idle ${m.settledMs / 1000} s, what the process holds once its ` +
    `runtime gave back what the storm left. V8 does that in its memory reducer, which runs ` +
    `only once the allocation rate it last measured (at a collection) is low: a server that ` +
    `ticks (the hub's 25 s heartbeat) gets there within seconds of its first tick, one that ` +
    `allocates nothing while idle (node-ws) only through the reducer's watchdog, 100 s after ` +
    `its last full collection; a ${m.settledMs / 1000} s window gives both their chance, ` +
    `where a 30 s one read node-ws settled in some runs and not in others. ` +
    `Marginal: the same over the last nine tenths only ` +
    `(VmRSS after - VmRSS once the first tenth was subscribed), without what a server grows by ` +
    `once on its first connections. The socket alone, with no WebSocket (a server that accepts ` +
    `10,000 node:net connections and reads 200 bytes from each, measured on this machine): ` +
    `Deno 4.7 KiB soon after and 3.6 settled with the start task's settings, Node 4.3 and 2.2, ` +
    `with the same JavaScript heap (about 840 B) in both: about 1.5 KiB of each hub-ws ` +
    `connection is Deno's native socket (its 64 KiB read buffer while reading, its ` +
    `resource) over Node's.`,
  params: ({ memory: m }) => ({ ...m }),
  tokens: ({ memory: m }) => m.connections,
  waitMs: ({ memory: m }) => 2 * m.settleMs + m.settledMs,
  metrics: [
    { key: "kibPerConnection", label: "KiB/connection, soon after", digits: 1, ratio: true },
    { key: "settledKiB", label: "KiB/connection, settled", digits: 1, ratio: true },
    { key: "marginalKiB", label: "marginal KiB/connection", digits: 1, ratio: true },
    { key: "rssBeforeMiB", label: "RSS before MiB", digits: 0 },
    { key: "rssAfterMiB", label: "RSS after MiB", digits: 0 },
    { key: "settledAfterS", label: "settled after s", digits: 0 },
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
    // The lowest reading of the idle window, and how long after `after` it came.
    const idle = [...marks].filter(([name]) => name.startsWith("idle-") || name === "settled")
      .map(([, sample]) => sample);
    const least = Math.min(...idle.map((sample) => sample.server.rssKiB));
    const lowest = idle.find((sample) => sample.server.rssKiB === least) ?? settled;
    const connections = Number(result.connections);
    return {
      kibPerConnection: (after.server.rssKiB - before.server.rssKiB) / connections,
      settledKiB: (lowest.server.rssKiB - before.server.rssKiB) / connections,
      marginalKiB: (after.server.rssKiB - warm.server.rssKiB) /
        (connections - Number(result.warmConnections)),
      rssBeforeMiB: before.server.rssKiB / 1024,
      rssAfterMiB: after.server.rssKiB / 1024,
      settledAfterS: (lowest.server.at - after.server.at) / 1000,
    };
  },
};
