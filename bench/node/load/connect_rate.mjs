// Connect rate: open `connections` authenticated connections, at most
// `concurrency` at a time, each subscribing once; a connection counts when
// its subscription is acknowledged. Tokens were minted before the timer.
//
// First `warmup` connections open the same way between the `cold-start` and
// `cold-end` marks and stay open: they pay what a fresh server process pays
// once (compiling its hot code), which a server accepting connections all
// day does not pay per connection. Then the measured `connections` open
// between `start` and `end`, with users and topics of their own.
export async function run(ctx) {
  const { connections, concurrency, warmup = 0 } = ctx.params;
  const open = (offset) => async (i) => {
    const client = await ctx.connect(offset + i);
    await client.subscribe(`room:u${offset + i}`);
    return client;
  };
  await ctx.mark("cold-start");
  const cold = await ctx.pool(warmup, concurrency, open(0));
  await ctx.mark("cold-end");
  await ctx.mark("start");
  const startedAt = performance.now();
  const result = await ctx.pool(connections, concurrency, open(warmup));
  const elapsedMs = performance.now() - startedAt;
  await ctx.mark("end");
  const failed = cold.failed + result.failed;
  return {
    failed: failed > 0 ? `${failed} failed: ${cold.firstError ?? result.firstError}` : undefined,
    coldConnections: warmup - cold.failed,
    connections: connections - result.failed,
    elapsedMs,
    perSecond: (connections - result.failed) / (elapsedMs / 1000),
  };
}
