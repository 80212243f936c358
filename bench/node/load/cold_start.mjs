// Cold start: a reconnect storm into a freshly started server. `connections`
// authenticated connections open at most `concurrency` at a time, each
// subscribing once, from the first one the fresh process accepts (nothing
// warmed it up but what it does at start-up itself). Marks: `start` before
// the first, `first` once the first `first` are subscribed (the part a
// process pays its JIT and lazy set-up in), `end` once all are.
export async function run(ctx) {
  const { connections, concurrency, first } = ctx.params;
  const open = (offset) => async (i) => {
    const client = await ctx.connect(offset + i);
    await client.subscribe(`room:u${offset + i}`);
    return client;
  };
  await ctx.mark("start");
  const startedAt = performance.now();
  const head = await ctx.pool(first, concurrency, open(0));
  await ctx.mark("first");
  const rest = await ctx.pool(connections - first, concurrency, open(first));
  const elapsedMs = performance.now() - startedAt;
  await ctx.mark("end");
  const failed = head.failed + rest.failed;
  return {
    failed: failed > 0 ? `${failed} failed: ${head.firstError ?? rest.firstError}` : undefined,
    connections: connections - failed,
    firstConnections: first - head.failed,
    elapsedMs,
    perSecond: (connections - failed) / (elapsedMs / 1000),
  };
}
