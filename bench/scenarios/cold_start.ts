/**
 * Cold start: a reconnect storm into a freshly started server, as after a
 * deploy, when every client reconnects into a new process.
 *
 * @module
 */

import { CPU_METRICS, cpuBetween, type Scenario } from "./_scenario.ts";

/** The cold-start scenario. */
export const coldStart: Scenario = {
  id: "cold_start",
  title: "Cold start",
  describe: ({ coldStart: c }) =>
    `${c.connections} connections opened ${c.concurrency} at a time into a freshly started ` +
    `server (from its first accepted connection; what the process does before it listens is ` +
    `not counted), each authenticated (HS256 token in the subprotocol list on the hub) and ` +
    `subscribing once; server CPU per connection over all of them, and over the first ` +
    `${c.first} alone (where a new process pays for compiling its hot code and its lazy ` +
    `set-up).`,
  params: ({ coldStart: c }) => ({ ...c }),
  tokens: ({ coldStart: c }) => c.connections,
  metrics: [
    { key: "usPerConnection", label: "server CPU us/connection", digits: 0, ratio: true },
    {
      key: "firstUsPerConnection",
      label: "first-connections us/connection",
      digits: 0,
      ratio: true,
    },
    { key: "perSecond", label: "connections/s", digits: 0, ratio: true },
    ...CPU_METRICS,
  ],
  figures: (result, marks) => {
    const all = cpuBetween(marks, "start", "end");
    const first = cpuBetween(marks, "start", "first");
    return {
      usPerConnection: all.serverCpuUs / Number(result.connections),
      firstUsPerConnection: first.serverCpuUs / Number(result.firstConnections),
      perSecond: Number(result.perSecond),
      serverCpuPct: all.serverCpuPct,
      loadCpuPct: all.loadCpuPct,
    };
  },
};
