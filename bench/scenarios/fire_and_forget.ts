/**
 * Fire and forget: one publisher that does not batch, publishing without
 * acks to many topics of one subscriber each (issue 24: what STOMP `SEND`,
 * HTTP publish and third-party clients cost).
 *
 * @module
 */

import { CPU_METRICS, cpuBetween, type Scenario } from "./_scenario.ts";

/** The fire-and-forget scenario. */
export const fireAndForget: Scenario = {
  id: "fire_and_forget",
  title: "Fire-and-forget publisher",
  describe: ({ fireAndForget: f }) =>
    `${f.topics} connections, each subscribed to its own topic (\`bench:t<i>\`, allowed by the ` +
    `token's capability claim on the hub); one more connection publishes ${f.messages} ` +
    `messages to every topic, to each in turn, as a client that does not batch: on the hub ` +
    `every connection offers only \`realtime.v1\` (\`hub-deno-v1\`) or also ` +
    `\`realtime.v1.batch\` (\`hub-deno\`, \`hub-ws\`), and publishes carry no \`id\`, so no ` +
    `ack is sent (nor by the bare loops); \`hub-deno-stomp\` speaks STOMP 1.2, each publish a ` +
    `\`SEND\` without a receipt. At most ${f.window} publications in flight (sent, ` +
    `not yet delivered). One publication is one delivery: server CPU per delivery is per ` +
    `publish frame too.`,
  params: ({ fireAndForget: f }) => ({ ...f }),
  tokens: ({ fireAndForget: f }) => f.topics + 1,
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
