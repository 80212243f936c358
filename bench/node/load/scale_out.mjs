// Scale-out: `subscribers` connections on one topic spread over every server
// (connection i on server i mod n), and `publishers` publishers (publisher p
// on server p mod n) each sending `messages` payloads with at most `window`
// unacknowledged. Every subscriber must get every publication exactly once
// and, per publisher, in order; latency is arrival minus send time.
import { nowUs, publishWindowed } from "./_payload.mjs";

const TOPIC = "bench:scale";

export async function run(ctx) {
  const { subscribers, publishers, messages, window } = ctx.params;
  const setup = await ctx.subscribed(subscribers, () => TOPIC);
  if (setup.failed !== undefined) return { failed: setup.failed };
  const senders = [];
  for (let p = 0; p < publishers; p++) senders.push(await ctx.connect(subscribers + p));

  const total = subscribers * publishers * messages;
  // expected[i * publishers + p]: the next sequence number subscriber i awaits from publisher p.
  const expected = new Int32Array(subscribers * publishers);
  const latencies = new Float64Array(total);
  let delivered = 0;
  let reordered = 0;
  let skipped = 0;
  let duplicates = 0;
  setup.clients.forEach((client, i) => {
    client.onMessage = (seq, t) => {
      const at = nowUs();
      if (delivered < total) latencies[delivered] = (at - t) / 1000;
      delivered++;
      const p = Math.floor(seq / messages);
      const n = seq % messages;
      const slot = i * publishers + p;
      if (n < expected[slot]) {
        if (n === expected[slot] - 1) duplicates++;
        else reordered++;
      } else {
        if (n > expected[slot]) skipped += n - expected[slot];
        expected[slot] = n + 1;
      }
    };
  });

  // A quiet second before publishing: what Redis and the servers spend with no
  // publication (timers, probes, presence refresh), to subtract from the cost per unit.
  await ctx.mark("idle-start");
  await ctx.sleep(ctx.params.idleMs ?? 0);
  await ctx.mark("idle-end");
  await ctx.mark("start");
  const startedAt = performance.now();
  let publishError;
  await Promise.all(
    senders.map((s, p) =>
      publishWindowed(s, TOPIC, messages, window, p * messages).catch((e) => publishError ??= e)
    ),
  );
  const ok = await ctx.waitFor(() => delivered >= total, ctx.remainingMs() - 2000);
  const endedAt = performance.now();
  await ctx.mark("end");

  let missing = 0;
  for (let k = 0; k < expected.length; k++) missing += messages - expected[k];
  const sorted = latencies.slice(0, Math.min(delivered, total)).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    failed: publishError
      ? String(publishError.message ?? publishError)
      : ok
      ? undefined
      : `timed out with ${delivered} of ${total} deliveries`,
    deliveries: delivered,
    expected: total,
    lost: skipped + missing,
    reordered,
    duplicates,
    elapsedMs: endedAt - startedAt,
    perSecond: delivered / ((endedAt - startedAt) / 1000),
    p50: at(0.5),
    p99: at(0.99),
  };
}
