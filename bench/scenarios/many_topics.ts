/**
 * Many topics: every connection publishes to its own topic.
 *
 * @module
 */

import { CPU_METRICS, cpuBetween, type Scenario } from "./_scenario.ts";

/** The many-topics scenario. */
export const manyTopics: Scenario = {
  id: "many_topics",
  title: "Many topics",
  describe: ({ manyTopics: m }) =>
    `${m.connections} connections, each subscribed to its own topic (\`room:u<i>\`, allowed by ` +
    `a template rule on the hub) and publishing ${m.messages} messages to it, at most ` +
    `${m.window} unacknowledged per connection.`,
  params: ({ manyTopics: m }) => ({ ...m }),
  tokens: ({ manyTopics: m }) => m.connections,
  metrics: [
    { key: "perSecond", label: "deliveries/s", digits: 0, ratio: true },
    { key: "usPerDelivery", label: "server CPU us/delivery", digits: 2, ratio: true },
    { key: "lostOrReordered", label: "lost+reordered", digits: 0 },
    ...CPU_METRICS,
  ],
  figures: (result, marks) => {
    const cpu = cpuBetween(marks, "start", "end");
    return {
      perSecond: Number(result.perSecond),
      usPerDelivery: cpu.serverCpuUs / Number(result.deliveries),
      lostOrReordered: Number(result.lost) + Number(result.reordered),
      serverCpuPct: cpu.serverCpuPct,
      loadCpuPct: cpu.loadCpuPct,
    };
  },
};
