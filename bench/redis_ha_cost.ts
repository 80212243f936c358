// deno-lint-ignore-file no-console
/**
 * `deno run --allow-all bench/redis_ha_cost.ts [publications]`: what a
 * Redis that can fail over costs a publication, on a private Sentinel set (a
 * master, a replica, three Sentinels). Three ways to publish on history
 * topics, each `publications` times with 200 in flight, then 500 one at a
 * time:
 * - `plain`: the master's own URL (no timeline check, no WAIT), the baseline;
 * - `timeline`: through the Sentinels with `minReplicaAcks: 0` (the scripts
 *   read the master's replication ID: `INFO replication` per script);
 * - `timeline+WAIT`: through the Sentinels, the default `minReplicaAcks: 1`.
 * For each: publications/s, the master's CPU per publication (INFO cpu,
 * user + sys) and the one-at-a-time round trip (p50, p99). The figures are
 * quoted in docs/scaling.md.
 *
 * @module
 */

import { createRedisEngine, type RedisEngine } from "../src/engine/redis/redis_engine.ts";
import { startRedisSentinelSet } from "../tests/_support/redis_sentinel.ts";

const N = Number(Deno.args[0] ?? 10_000);
const WINDOW = 200;
const SEQUENTIAL = 500;
const payload = JSON.stringify({ text: "x".repeat(100) });
const history = [{ pattern: "hist:*", size: 100, ttlMs: 300_000 }];

await using set = await startRedisSentinelSet();
const master = await set.master();

async function cpuSeconds(): Promise<number> {
  const text = await master.cli("INFO", "cpu");
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1]);
  return read("used_cpu_user") + read("used_cpu_sys");
}

interface Figures {
  perSecond: number;
  cpuMicros: number;
  p50: number;
  p99: number;
}

async function measure(engine: RedisEngine): Promise<Figures> {
  let sent = 0;
  const cpu0 = await cpuSeconds();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: WINDOW }, async () => {
    while (sent < N) {
      const n = sent++;
      await engine.publish(`hist:${n % 100}`, { data: payload, from: "bench", ts: n });
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = await cpuSeconds() - cpu0;
  const rtt: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const start = performance.now();
    await engine.publish("hist:rtt", { data: payload, from: "bench", ts: i });
    rtt.push(performance.now() - start);
  }
  rtt.sort((a, b) => a - b);
  return {
    perSecond: N / seconds,
    cpuMicros: cpu / N * 1e6,
    p50: rtt[SEQUENTIAL / 2],
    p99: rtt[Math.floor(SEQUENTIAL * 0.99)],
  };
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
// 100 history topics per variant and round, from one user: above the default bound on new
// streams per user (20 a minute), which stays on so its check is in the cost.
const quiet = { log: () => {}, history, maxNewStreamsPerUser: 10_000 };
const variants = [
  ["plain", { url: master.url, minReplicaAcks: 0 }],
  ["timeline", { url: set.url, minReplicaAcks: 0 }],
  ["timeline+WAIT", { url: set.url }],
] as const;
const results = new Map<string, Figures[]>();
for (let round = 0; round < 3; round++) {
  for (const [name, options] of variants) {
    const prefix = `${name.replace("+", "-")}${round}`;
    await using engine = await createRedisEngine({ ...options, ...quiet, prefix });
    results.set(name, [...(results.get(name) ?? []), await measure(engine)]);
  }
}
console.log(
  "| publishing | publications/s | master CPU µs/publication | round trip p50 ms | round trip p99 ms |",
);
console.log("| --- | --- | --- | --- | --- |");
for (const [name, runs] of results) {
  const pick = (key: keyof Figures) => median(runs.map((r) => r[key]));
  console.log(
    `| ${name} | ${pick("perSecond").toFixed(0)} | ${pick("cpuMicros").toFixed(1)} | ${
      pick("p50").toFixed(2)
    } | ${pick("p99").toFixed(2)} |`,
  );
}
