// Memory: `connections` idle, authenticated, subscribed connections. The
// orchestrator reads the server's VmRSS at every mark: `before`; `warm` once
// the first tenth is subscribed (what a server grows by once, on its first
// connections, is behind it then); `after` once every connection is
// subscribed, each `settleMs` later (how most harnesses read it: the young
// generation left over from the connect storm is still there). Then the
// connections stay idle `settledMs` longer, with an `idle` mark every
// `sampleMs` and `settled` at the end: the scenario reports the lowest of
// those readings. A V8 runtime gives back what the storm left only once its
// memory reducer runs, and it runs at the latest 100 s after the last full
// collection (its watchdog) when nothing in the process allocates; sooner
// when something ticks (the hub's heartbeat), so only a window longer than
// the watchdog treats a server that ticks and one that does not alike.

export async function run(ctx) {
  const { connections, concurrency, settleMs, settledMs, sampleMs } = ctx.params;
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
  const until = performance.now() + settledMs;
  for (let k = 1; performance.now() + sampleMs < until; k++) {
    await ctx.sleep(sampleMs);
    await ctx.mark(`idle-${k}`);
  }
  await ctx.sleep(Math.max(0, until - performance.now()));
  await ctx.mark("settled");
  const failed = first.failed + rest.failed;
  return {
    failed: failed > 0 ? `${failed} failed: ${first.firstError ?? rest.firstError}` : undefined,
    connections: connections - failed,
    warmConnections: warm - first.failed,
  };
}
