// Heap probe (bench/heap_breakdown.ts): `connections` idle, authenticated,
// subscribed connections, then twice as many more; a mark after each (`n`,
// `3n`), where the orchestrator has the server write a heap snapshot.
export async function run(ctx) {
  const { connections, concurrency } = ctx.params;
  const open = (offset) => async (i) => {
    const client = await ctx.connect(offset + i);
    await client.subscribe(`room:u${offset + i}`);
    return client;
  };
  const first = await ctx.pool(connections, concurrency, open(0));
  await ctx.mark("n");
  const rest = await ctx.pool(2 * connections, concurrency, open(connections));
  await ctx.mark("3n");
  const failed = first.failed + rest.failed;
  return {
    failed: failed > 0 ? `${failed} failed: ${first.firstError ?? rest.firstError}` : undefined,
  };
}
