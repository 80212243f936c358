// Memory: `connections` idle, authenticated, subscribed connections. The
// orchestrator reads the server's VmRSS at the `before` and `after` marks;
// `after` comes once every connection is subscribed and `settleMs` passed.

export async function run(ctx) {
  const { connections, concurrency, settleMs } = ctx.params;
  await ctx.mark("before");
  const result = await ctx.pool(connections, concurrency, async (i) => {
    const client = await ctx.connect(i);
    await client.subscribe(`room:u${i}`);
    return client;
  });
  await ctx.sleep(settleMs);
  await ctx.mark("after");
  return {
    failed: result.failed > 0 ? `${result.failed} failed: ${result.firstError}` : undefined,
    connections: connections - result.failed,
  };
}
