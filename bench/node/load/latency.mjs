// Latency: `subscribers` connections on one topic; one publisher sends
// `rate` messages per second for `seconds` seconds on a fixed schedule
// (not waiting for acks). Latency is arrival time minus the send time in the
// payload. The stall is the longest pause between two consecutive deliveries
// of the same publication (burst) to any subscribers.
import { nowUs, payload } from "./_payload.mjs";

const TOPIC = "bench:latency";

export async function run(ctx) {
  const { subscribers, rate, seconds } = ctx.params;
  const count = rate * seconds;
  const setup = await ctx.subscribed(subscribers, () => TOPIC);
  if (setup.failed !== undefined) return { failed: setup.failed };
  const publisher = await ctx.connect(subscribers);

  const latencies = new Float64Array(subscribers * count);
  const lastArrival = new Float64Array(count);
  let delivered = 0;
  let stallMs = 0;
  for (const client of setup.clients) {
    client.onMessage = (seq, t) => {
      const at = nowUs() / 1000;
      latencies[delivered++] = at - t / 1000;
      const previous = lastArrival[seq];
      if (previous > 0 && at - previous > stallMs) stallMs = at - previous;
      lastArrival[seq] = at;
    };
  }

  await ctx.mark("start");
  const startedAt = performance.now();
  let acked = 0;
  for (let seq = 0; seq < count && ctx.remainingMs() > 3000; seq++) {
    const due = startedAt + seq * 1000 / rate;
    const wait = due - performance.now();
    if (wait > 0) await ctx.sleep(wait);
    publisher.publish(TOPIC, payload(seq), (error) => {
      if (error === undefined) acked++;
    });
  }
  const ok = await ctx.waitFor(
    () => delivered === latencies.length && acked === count,
    Math.min(10_000, ctx.remainingMs() - 2000),
  );
  await ctx.mark("end");

  const sorted = latencies.slice(0, delivered).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    failed: ok ? undefined : `timed out with ${delivered} of ${latencies.length} deliveries`,
    deliveries: delivered,
    expected: latencies.length,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted[sorted.length - 1],
    stallMs,
  };
}
