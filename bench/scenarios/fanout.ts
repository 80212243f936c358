/**
 * Fan-out: one topic, many subscribers, one windowed publisher.
 *
 * @module
 */

import { CPU_METRICS, cpuBetween, type Scenario } from "./_scenario.ts";
import type { ScenarioSizes } from "../_config.ts";

/** The fan-out scenario. */
export const fanout: Scenario = fanoutScenario("fanout", "Fan-out", (sizes) => sizes.fanout);

/**
 * Fan-out to 100 subscribers: moderate fan-out, where the cost per delivery
 * is mostly the write to each socket (issue 27 compares it with NATS).
 */
export const fanout100: Scenario = fanoutScenario(
  "fanout_100",
  "Fan-out to 100",
  (sizes) => sizes.fanout100,
);

function fanoutScenario(
  id: string,
  title: string,
  pick: (sizes: ScenarioSizes) => ScenarioSizes["fanout"],
): Scenario {
  return {
    id,
    title,
    describe: (sizes) => {
      const f = pick(sizes);
      return `${f.subscribers} subscribers on one topic; one publisher sends ${f.messages} ` +
        `~100-byte messages keeping at most ${f.window} unacknowledged. Every subscriber checks ` +
        `sequence numbers (lost/reordered must be 0). Stall: longest gap between two ` +
        `consecutive deliveries.`;
    },
    params: (sizes) => ({ ...pick(sizes) }),
    tokens: (sizes) => pick(sizes).subscribers + 1,
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
}
