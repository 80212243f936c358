// Connect rate: open `connections` authenticated connections, at most
// `concurrency` at a time, each subscribing once; a connection counts when
// its subscription is acknowledged. Tokens were minted before the timer.
export async function run(ctx) {
  const { connections, concurrency } = ctx.params;
  await ctx.mark("start");
  const startedAt = performance.now();
  const result = await ctx.pool(connections, concurrency, async (i) => {
    const client = await ctx.connect(i);
    await client.subscribe(`room:u${i}`);
    return client;
  });
  const elapsedMs = performance.now() - startedAt;
  await ctx.mark("end");
  const accepted = connections - result.failed;
  return {
    failed: result.failed > 0 ? `${result.failed} failed: ${result.firstError}` : undefined,
    connections: accepted,
    elapsedMs,
    perSecond: accepted / (elapsedMs / 1000),
  };
}
