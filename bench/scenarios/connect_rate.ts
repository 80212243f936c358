/**
 * Connect rate: authenticated connections opened with bounded concurrency.
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
    `subscribing once; counted when the subscription is acknowledged.`,
  params: ({ connect: c }) => ({ ...c }),
  tokens: ({ connect: c }) => c.connections,
  metrics: [
    { key: "perSecond", label: "connections/s", digits: 0, ratio: true },
    { key: "usPerConnection", label: "server CPU us/connection", digits: 0, ratio: true },
    ...CPU_METRICS,
  ],
  figures: (result, marks) => {
    const cpu = cpuBetween(marks, "start", "end");
    return {
      perSecond: Number(result.perSecond),
      usPerConnection: cpu.serverCpuUs / Number(result.connections),
      serverCpuPct: cpu.serverCpuPct,
      loadCpuPct: cpu.loadCpuPct,
    };
  },
};
