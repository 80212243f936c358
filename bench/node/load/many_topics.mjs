// Many topics: `connections` connections, each subscribed to its own topic
// and publishing `messages` payloads to it (at most `window` unacknowledged
// per connection); each receives its own publications, in order.
import { publishWindowed } from "./_payload.mjs";

export async function run(ctx) {
  const { connections, messages, window } = ctx.params;
  const setup = await ctx.subscribed(connections, (i) => `room:u${i}`);
  if (setup.failed !== undefined) return { failed: setup.failed };

  const expected = new Int32Array(connections);
  let reordered = 0;
  let complete = 0;
  let delivered = 0;
  let finishedAt = 0;
  setup.clients.forEach((client, i) => {
    client.onMessage = (seq) => {
      delivered++;
      if (seq !== expected[i]) reordered++;
      expected[i] = seq + 1;
      if (seq === messages - 1 && ++complete === connections) {
        finishedAt = performance.now();
      }
    };
  });

  await ctx.mark("start");
  const startedAt = performance.now();
  const publishing = setup.clients.map((client, i) =>
    publishWindowed(client, `room:u${i}`, messages, window)
  );
  let publishError;
  await Promise.all(publishing).catch((e) => publishError = e);
  const ok = await ctx.waitFor(() => finishedAt > 0, ctx.remainingMs() - 2000);
  const endedAt = ok ? finishedAt : performance.now();
  await ctx.mark("end");

  let lost = 0;
  for (let i = 0; i < connections; i++) lost += messages - expected[i];
  return {
    failed: publishError ? String(publishError.message) : ok ? undefined : "timed out",
    deliveries: delivered,
    expected: connections * messages,
    lost,
    reordered,
    elapsedMs: endedAt - startedAt,
    perSecond: delivered / ((endedAt - startedAt) / 1000),
  };
}
