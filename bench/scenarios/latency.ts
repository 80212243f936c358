/**
 * Latency: a steady, light publication rate to many subscribers.
 *
 * @module
 */

import { CPU_METRICS, cpuBetween, type Scenario } from "./_scenario.ts";

/** The latency scenario. */
export const latency: Scenario = {
  id: "latency",
  title: "Latency",
  describe: ({ latency: l }) =>
    `${l.subscribers} subscribers on one topic; ${l.rate} messages/s for ${l.seconds} s on a ` +
    `fixed schedule. Latency = arrival - send time in the payload (one clock: publisher and ` +
    `subscribers share the load-generator process). Stall: longest gap between two consecutive ` +
    `deliveries of the same publication.`,
  params: ({ latency: l }) => ({ ...l }),
  tokens: ({ latency: l }) => l.subscribers + 1,
  metrics: [
    { key: "p50", label: "p50 ms", digits: 2, ratio: true },
    { key: "p99", label: "p99 ms", digits: 2, ratio: true },
    { key: "max", label: "max ms", digits: 1 },
    { key: "stallMs", label: "stall ms", digits: 1 },
    { key: "usPerDelivery", label: "server CPU us/delivery", digits: 2 },
    ...CPU_METRICS,
  ],
  figures: (result, marks) => {
    const cpu = cpuBetween(marks, "start", "end");
    return {
      p50: Number(result.p50),
      p99: Number(result.p99),
      max: Number(result.max),
      stallMs: Number(result.stallMs),
      usPerDelivery: cpu.serverCpuUs / Number(result.deliveries),
      serverCpuPct: cpu.serverCpuPct,
      loadCpuPct: cpu.loadCpuPct,
    };
  },
};
