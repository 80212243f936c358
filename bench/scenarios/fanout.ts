/**
 * Fan-out: one topic, many subscribers, one windowed publisher.
 *
 * @module
 */

import { CPU_METRICS, cpuBetween, type Scenario } from "./_scenario.ts";

/** The fan-out scenario. */
export const fanout: Scenario = {
  id: "fanout",
  title: "Fan-out",
  describe: ({ fanout: f }) =>
    `${f.subscribers} subscribers on one topic; one publisher sends ${f.messages} ~100-byte ` +
    `messages keeping at most ${f.window} unacknowledged. Every subscriber checks sequence ` +
    `numbers (lost/reordered must be 0). Stall: longest gap between two consecutive deliveries.`,
  params: ({ fanout: f }) => ({ ...f }),
  tokens: ({ fanout: f }) => f.subscribers + 1,
  metrics: [
    { key: "perSecond", label: "deliveries/s", digits: 0, ratio: true },
    { key: "usPerDelivery", label: "server CPU us/delivery", digits: 2, ratio: true },
    { key: "stallMs", label: "stall ms", digits: 1 },
    { key: "lostOrReordered", label: "lost+reordered", digits: 0 },
    ...CPU_METRICS,
  ],
  figures: (result, marks) => {
    const cpu = cpuBetween(marks, "start", "end");
    const deliveries = Number(result.deliveries);
    return {
      perSecond: Number(result.perSecond),
      usPerDelivery: cpu.serverCpuUs / deliveries,
      stallMs: Number(result.stallMs),
      lostOrReordered: Number(result.lost) + Number(result.reordered),
      serverCpuPct: cpu.serverCpuPct,
      loadCpuPct: cpu.loadCpuPct,
    };
  },
};
