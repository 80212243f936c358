// Fire and forget: `topics` connections, each subscribed to its own topic
// (`bench:t<i>`), and one more connection that publishes `messages` payloads
// to every topic, to each in turn, without asking for acks (no `id` on the
// hub, so none is sent back): what a client that does not batch, such as a
// STOMP `SEND` or a Python script, makes a server do. At most `window`
// publications are in flight (sent, not yet delivered to their subscriber);
// each subscriber checks it gets its topic's sequence numbers in order.
import { payload } from "./_payload.mjs";

export async function run(ctx) {
  const { topics, messages, window } = ctx.params;
  const names = Array.from({ length: topics }, (_, i) => `bench:t${i}`);
  const setup = await ctx.subscribed(topics, (i) => names[i]);
  if (setup.failed !== undefined) return { failed: setup.failed };
  const publisher = await ctx.connect(topics);

  const total = topics * messages;
  const expected = new Int32Array(topics);
  let sent = 0;
  let delivered = 0;
  let reordered = 0;
  let finishedAt = 0;
  const pump = () => {
    while (sent < total && sent - delivered < window) {
      publisher.fire(names[sent % topics], payload(Math.floor(sent / topics)));
      sent++;
    }
  };
  setup.clients.forEach((client, i) => {
    client.onMessage = (seq) => {
      delivered++;
      if (seq !== expected[i]) reordered++;
      expected[i] = seq + 1;
      if (delivered === total) finishedAt = performance.now();
      else pump();
    };
  });

  await ctx.mark("start");
  const startedAt = performance.now();
  pump();
  const ok = await ctx.waitFor(() => finishedAt > 0, ctx.remainingMs() - 2000);
  const endedAt = ok ? finishedAt : performance.now();
  await ctx.mark("end");

  let lost = 0;
  for (let i = 0; i < topics; i++) lost += messages - expected[i];
  return {
    failed: ok ? undefined : `timed out with ${delivered} of ${total} deliveries`,
    deliveries: delivered,
    expected: total,
    publications: sent,
    lost,
    reordered,
    elapsedMs: endedAt - startedAt,
    perSecond: delivered / ((endedAt - startedAt) / 1000),
  };
}
