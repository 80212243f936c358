// deno-lint-ignore-file no-console
/**
 * `deno run --allow-all bench/redis_engine_cost.ts [publications]`: what the
 * Redis engine costs Redis, measured on a private redis-server. Two engines
 * (a publishing hub and a subscribing hub) on one Redis; for topics with and
 * without history it reports publications/s, deliveries/s at the other
 * engine, the Redis commands run per publication (INFO commandstats) and the
 * Redis CPU per publication (INFO cpu, user + sys), then the publish round
 * trip and the cost of a presence refresh. The figures feed the capacity
 * model in docs/scaling.md.
 *
 * @module
 */

import { createRedisEngine } from "../src/engine/redis/redis_engine.ts";
import type { Engine } from "../src/engine/engine.ts";
import { startRedisServer } from "../tests/_support/redis_server.ts";

const N = Number(Deno.args[0] ?? 20_000);
const TOPICS = 100;
const WINDOW = 200;
const payload = JSON.stringify({ text: "x".repeat(100) });

await using server = await startRedisServer();
const history = [{ pattern: "hist:*", size: 100, ttlMs: 300_000 }];
// One user ("bench") starts all 100 history topics: above the default new-stream quota.
await using publisher = await createRedisEngine({
  url: server.url,
  history,
  maxNewStreamsPerUser: 1000,
});
await using subscriber = await createRedisEngine({ url: server.url, history });

async function info(section: string): Promise<Map<string, string>> {
  const text = await server.cli("INFO", section);
  return new Map(
    text.split("\n").filter((l) => l.includes(":")).map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i), l.slice(i + 1).trim()];
    }),
  );
}

async function cpuSeconds(): Promise<number> {
  const cpu = await info("cpu");
  return Number(cpu.get("used_cpu_user")) + Number(cpu.get("used_cpu_sys"));
}

async function calls(): Promise<Map<string, number>> {
  const stats = await info("commandstats");
  const out = new Map<string, number>();
  for (const [key, value] of stats) {
    const match = /calls=(\d+)/.exec(value);
    if (match) out.set(key.replace("cmdstat_", ""), Number(match[1]));
  }
  return out;
}

async function publishAll(engine: Engine, prefix: string, n: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  async function lane() {
    while (next < n) {
      const i = next++;
      await engine.publish(`${prefix}:${i % TOPICS}`, { data: payload, from: "bench", ts: i });
    }
  }
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return performance.now() - started;
}

async function scenario(prefix: string, subscribers: readonly Engine[]): Promise<void> {
  let delivered = 0;
  const expected = N * subscribers.length;
  const all = Promise.withResolvers<void>();
  const subscriptions = [];
  for (const engine of subscribers) {
    for (let t = 0; t < TOPICS; t++) {
      subscriptions.push(
        await engine.subscribe(`${prefix}:${t}`, {
          onPublication: () => void (++delivered === expected && all.resolve()),
        }),
      );
    }
  }
  await publishAll(publisher, prefix, 1000); // warm up
  await new Promise<void>((resolve) => {
    const check = () => delivered >= 1000 * subscribers.length ? resolve() : setTimeout(check, 10);
    check();
  });
  delivered = 0;
  const [cpu0, calls0] = [await cpuSeconds(), await calls()];
  const started = performance.now();
  const publishMs = await publishAll(publisher, prefix, N);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    all.promise,
    new Promise((_, reject) =>
      timer = setTimeout(() => reject(new Error("deliveries timed out")), 60_000)
    ),
  ]).finally(() => clearTimeout(timer));
  const deliverMs = performance.now() - started;
  const [cpu1, calls1] = [await cpuSeconds(), await calls()];
  const perPublication = [...calls1]
    .map(([cmd, c]) => [cmd, (c - (calls0.get(cmd) ?? 0)) / N] as const)
    .filter(([cmd, c]) => c >= 0.01 && cmd !== "info")
    .map(([cmd, c]) => `${cmd} ${c.toFixed(2)}`)
    .join(", ");
  console.log(
    `${prefix}, ${subscribers.length} subscribed engine(s): ${N} publications on ${TOPICS} topics, ${WINDOW} in flight: ` +
      `${(N / publishMs * 1000).toFixed(0)} publications/s confirmed, ` +
      `${
        (expected / deliverMs * 1000).toFixed(0)
      } deliveries/s to ${subscribers.length} other engine(s); ` +
      `Redis CPU ${((cpu1 - cpu0) * 1e6 / N).toFixed(1)} us per publication; ` +
      `commands per publication: ${perPublication}`,
  );
  for (const s of subscriptions) await s.unsubscribe();
}

await scenario("hist", [subscriber]);
await scenario("plain", [subscriber]);
{
  // Each further hub subscribed to a topic adds one write per PUBLISH.
  const more = await Promise.all(
    [1, 2, 3].map(() => createRedisEngine({ url: server.url, history })),
  );
  await scenario("plain4", [subscriber, ...more]);
  await Promise.all(more.map((e) => e.close()));
}

{
  // Redis matches every PUBLISH against every pattern of every connection.
  const patterns = [];
  for (let i = 0; i < 1000; i++) {
    patterns.push(await subscriber.subscribe(`other:${i}:*`, { onPublication() {} }));
  }
  await scenario("plain-1000-patterns", [subscriber]);
  for (const p of patterns) await p.unsubscribe();
}

const latencies: number[] = [];
for (let i = 0; i < 2000; i++) {
  const started = performance.now();
  await publisher.publish("hist:rtt", { data: payload, from: null, ts: i });
  latencies.push(performance.now() - started);
}
latencies.sort((a, b) => a - b);
console.log(
  `publish round trip (history topic, one in flight): p50 ${
    (latencies[1000] * 1000).toFixed(0)
  } us, ` +
    `p99 ${(latencies[1980] * 1000).toFixed(0)} us`,
);

const ENTRIES = 2000;
for (let i = 0; i < ENTRIES; i++) {
  await publisher.presenceAdd(`room:${i % 20}`, { connection: `c${i}`, user: `u${i % 500}` });
}
const cpu0 = await cpuSeconds();
for (let i = 0; i < ENTRIES; i++) {
  await publisher.presenceAdd(`room:${i % 20}`, { connection: `c${i}`, user: `u${i % 500}` });
}
const cpu1 = await cpuSeconds();
console.log(
  `presence refresh, one entry per script call: Redis CPU ${
    ((cpu1 - cpu0) * 1e6 / ENTRIES).toFixed(1)
  } us per entry`,
);

// The periodic refresh batches up to 256 entries per script call: measure it
// as Redis CPU over a window of refresh rounds, minus the same window idle.
const idle0 = await cpuSeconds();
await new Promise((resolve) => setTimeout(resolve, 2000));
const idle = (await cpuSeconds()) - idle0;
{
  await using refresher = await createRedisEngine({
    url: server.url,
    prefix: "refresh",
    presenceRefreshMs: 200,
    presenceTtlMs: 10_000,
  });
  for (let i = 0; i < ENTRIES; i++) {
    await refresher.presenceAdd(`room:${i % 20}`, { connection: `c${i}`, user: `u${i % 500}` });
  }
  const busy0 = await cpuSeconds();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const busy = (await cpuSeconds()) - busy0;
  const rounds = 2000 / 200;
  console.log(
    `presence refresh, batched (20 topics, ${ENTRIES} entries, ${rounds} rounds): Redis CPU ` +
      `${((busy - idle) * 1e6 / (rounds * ENTRIES)).toFixed(2)} us per entry per round`,
  );
}
