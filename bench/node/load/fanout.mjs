// Fan-out: `subscribers` connections on one topic, one publisher sending
// `messages` payloads with at most `window` unacknowledged. Every subscriber
// checks it gets every sequence number once and in order. The publisher
// speaks the peer's protocol, or protocol v1 over WebSocket for SSE.
import { publishWindowed } from "./_payload.mjs";

const TOPIC = "bench:fanout";

export async function run(ctx) {
  const { subscribers, messages, window } = ctx.params;
  const setup = await ctx.subscribed(subscribers, () => TOPIC);
  if (setup.failed !== undefined) return { failed: setup.failed };
  const publisher = await ctx.connectPublisher(subscribers);

  const expected = new Int32Array(subscribers);
  let reordered = 0;
  let skipped = 0;
  let complete = 0;
  let delivered = 0;
  let last = 0;
  let stallMs = 0;
  let finishedAt = 0;
  setup.clients.forEach((client, i) => {
    client.onMessage = (seq) => {
      const at = performance.now();
      if (delivered++ > 0 && at - last > stallMs) stallMs = at - last;
      last = at;
      if (seq < expected[i]) reordered++;
      else {
        if (seq > expected[i]) skipped += seq - expected[i];
        expected[i] = seq + 1;
      }
      if (seq === messages - 1 && ++complete === subscribers) finishedAt = at;
    };
  });

  await ctx.mark("start");
  const startedAt = performance.now();
  let publishError;
  await publishWindowed(publisher, TOPIC, messages, window).catch((e) => publishError = e);
  const ok = await ctx.waitFor(() => finishedAt > 0, ctx.remainingMs() - 2000);
  const endedAt = ok ? finishedAt : performance.now();
  await ctx.mark("end");

  const total = subscribers * messages;
  let missing = 0;
  for (let i = 0; i < subscribers; i++) missing += messages - expected[i];
  return {
    failed: publishError ? String(publishError.message) : ok ? undefined : "timed out",
    deliveries: delivered,
    expected: total,
    lost: skipped + missing,
    reordered,
    elapsedMs: endedAt - startedAt,
    perSecond: delivered / ((endedAt - startedAt) / 1000),
    stallMs,
  };
}
