// Memory: `connections` idle, authenticated, subscribed connections. The
// orchestrator reads the server's VmRSS at the `before`, `warm` and `after`
// marks; `warm` comes once the first tenth is subscribed (what a server grows
// by once, on its first connections, is behind it then), `after` once every
// connection is subscribed; each after `settleMs` (how most harnesses read
// it: the young generation left over from the connect storm is still there).
// `settled` comes `settledMs` later, the connections still idle: by then the
// runtime has given back what the storm left.

export async function run(ctx) {
  const { connections, concurrency, settleMs, settledMs } = ctx.params;
  const warm = Math.floor(connections / 10);
  const open = (offset) => async (i) => {
    const client = await ctx.connect(offset + i);
    await client.subscribe(`room:u${offset + i}`);
    return client;
  };
  await ctx.mark("before");
  const first = await ctx.pool(warm, concurrency, open(0));
  await ctx.sleep(settleMs);
  await ctx.mark("warm");
  const rest = await ctx.pool(connections - warm, concurrency, open(warm));
  await ctx.sleep(settleMs);
  await ctx.mark("after");
  await ctx.sleep(settledMs);
  await ctx.mark("settled");
  const failed = first.failed + rest.failed;
  return {
    failed: failed > 0 ? `${failed} failed: ${first.firstError ?? rest.firstError}` : undefined,
    connections: connections - failed,
    warmConnections: warm - first.failed,
  };
}
