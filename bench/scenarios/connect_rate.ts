/**
 * Connect rate: authenticated connections opened with bounded concurrency,
 * on a server that already accepted a first batch.
 *
 * @module
 */

import { CPU_METRICS, cpuBetween, type Scenario } from "./_scenario.ts";

/** The connect-rate scenario. */
export const connectRate: Scenario = {
  id: "connect_rate",
  title: "Connect rate",
  describe: ({ connect: c }) =>
    `${c.connections} connections opened ${c.concurrency} at a time, each authenticated ` +
    `(HS256 token in the subprotocol list on the hub, minted before the timer) and ` +
    `subscribing once; counted when the subscription is acknowledged. Before them, ` +
    `${c.warmup} connections opened the same way on the fresh server and stay open: ` +
    `their CPU per connection is the first-connections column (a new process compiles its ` +
    `hot code then, once); every other column is over the ${c.connections} after them.`,
  params: ({ connect: c }) => ({ ...c }),
  tokens: ({ connect: c }) => c.warmup + c.connections,
  metrics: [
    { key: "perSecond", label: "connections/s", digits: 0, ratio: true },
    { key: "usPerConnection", label: "server CPU us/connection", digits: 0, ratio: true },
    {
      key: "coldUsPerConnection",
      label: "first-connections CPU us/connection",
      digits: 0,
      ratio: true,
    },
    ...CPU_METRICS,
  ],
  figures: (result, marks) => {
    const cpu = cpuBetween(marks, "start", "end");
    const cold = cpuBetween(marks, "cold-start", "cold-end");
    return {
      perSecond: Number(result.perSecond),
      usPerConnection: cpu.serverCpuUs / Number(result.connections),
      coldUsPerConnection: Number(result.coldConnections) > 0
        ? cold.serverCpuUs / Number(result.coldConnections)
        : Number.NaN,
      serverCpuPct: cpu.serverCpuPct,
      loadCpuPct: cpu.loadCpuPct,
    };
  },
};
