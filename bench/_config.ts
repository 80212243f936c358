/**
 * What every benchmark process agrees on: the HS256 secret, the hub's ACL
 * rule set, topic names and the size of each scenario (full and `--quick`).
 *
 * @module
 */

import type { AclRule } from "../mod.ts";

/** The benchmark-only HS256 secret (never used outside 127.0.0.1 benchmarks). */
export const BENCH_SECRET = "realtime-hub-benchmark-secret-0123456789";

/**
 * Ten server-side rules, as a realistic deployment might have: deny rules,
 * role conditions and templates. Many-topic traffic (`room:u<i>`) is allowed
 * by the `room:{sub}` template rule; fan-out and latency traffic
 * (`bench:*`) by the token's capability claim, after every rule missed.
 */
export const BENCH_RULES: readonly AclRule[] = [
  { id: "no-admin-publish", effect: "deny", actions: ["publish"], topics: ["admin:**"] },
  { id: "no-system", effect: "deny", actions: "*", topics: ["system:**"] },
  { id: "read-announce", effect: "deny", actions: ["publish"], topics: ["chat:announce"] },
  { id: "own-inbox", effect: "allow", actions: ["subscribe"], topics: ["user:{sub}:**"] },
  {
    id: "org",
    effect: "allow",
    actions: ["subscribe", "publish"],
    topics: ["org:{claims.org}:**"],
  },
  { id: "public", effect: "allow", actions: ["subscribe"], topics: ["public:**"] },
  {
    id: "team-chat",
    effect: "allow",
    actions: "*",
    topics: ["team:*:chat"],
    when: { roles: ["member"] },
  },
  {
    id: "chat",
    effect: "allow",
    actions: ["subscribe", "publish"],
    topics: ["chat:*"],
    when: { roles: ["member"] },
  },
  { id: "own-room", effect: "allow", actions: ["subscribe", "publish"], topics: ["room:{sub}"] },
  { id: "presence", effect: "allow", actions: ["subscribe"], topics: ["presence:**"] },
];

/**
 * Hub limits the benchmark raises, and why: every load-generator connection
 * comes from 127.0.0.1 (the per-IP connect bucket would refuse most with
 * 429), and one publisher sends thousands of frames per second (the
 * per-connection message bucket would answer RATE_LIMITED). The buckets
 * still run, so their cost is measured; every other limit keeps its default.
 */
export const BENCH_LIMITS = {
  connectRatePerIp: 1_000_000,
  connectBurstPerIp: 1_000_000,
  messageRate: 1_000_000,
  messageBurst: 1_000_000,
} as const;

/** The capability claim every benchmark token carries. */
export const BENCH_CAPABILITIES: Readonly<Record<string, string[]>> = {
  "bench:*": ["subscribe", "publish"],
};

/**
 * The claims of the benchmark user `sub`: the `member` role, the `acme`
 * organisation (for the `org:{claims.org}:**` template) and the capability
 * claim, as every benchmark token carries them.
 *
 * @param sub The user.
 * @returns The claims, a fresh object.
 */
export function benchClaims(sub: string): {
  sub: string;
  roles: string[];
  org: string;
  acl: Record<string, string[]>;
} {
  return { sub, roles: ["member"], org: "acme", acl: { ...BENCH_CAPABILITIES } };
}

/** Sizes of every scenario. */
export interface ScenarioSizes {
  /** Runs per scenario and peer, each with a fresh server. */
  runs: number;
  /** Fan-out: subscribers, messages, publisher window. */
  fanout: { subscribers: number; messages: number; window: number };
  /** Fan-out to 100: the same, at moderate fan-out. */
  fanout100: { subscribers: number; messages: number; window: number };
  /** Many topics: connections, messages per connection, window per connection. */
  manyTopics: { connections: number; messages: number; window: number };
  /**
   * Connect rate: connections and concurrency, after `warmup` connections
   * opened first on the fresh server (kept open, measured apart).
   */
  connect: { connections: number; concurrency: number; warmup: number };
  /**
   * Memory: idle subscribed connections, concurrency while opening them,
   * wait before reading RSS (ms), how much longer they stay idle for the
   * settled reading (ms: longer than V8's memory-reducer watchdog, 100 s, in
   * the full run) and how often RSS is read meanwhile (ms).
   */
  memory: {
    connections: number;
    concurrency: number;
    settleMs: number;
    settledMs: number;
    sampleMs: number;
  };
  /**
   * Cold start: connections into a fresh server, concurrency, and how many
   * first ones get a column of their own.
   */
  coldStart: { connections: number; concurrency: number; first: number };
  /**
   * Fire and forget: topics (one subscriber each), messages per topic, most
   * publications in flight.
   */
  fireAndForget: { topics: number; messages: number; window: number };
  /** Latency: subscribers, messages per second, seconds. */
  latency: { subscribers: number; rate: number; seconds: number };
  /** Concurrency while the fixed connections of fan-out, many topics and latency open. */
  setupConcurrency: number;
  /**
   * Hard limit of one scenario run, ms, besides what the scenario waits on
   * purpose (`Scenario.waitMs`): beyond it the run is killed and reported failed.
   */
  runTimeoutMs: number;
}

/** The full benchmark, as the issue specifies it. */
export const FULL: Readonly<ScenarioSizes> = {
  runs: 3,
  fanout: { subscribers: 1000, messages: 2000, window: 16 },
  fanout100: { subscribers: 100, messages: 5000, window: 16 },
  manyTopics: { connections: 1000, messages: 300, window: 4 },
  connect: { connections: 2000, concurrency: 200, warmup: 1000 },
  memory: {
    connections: 10_000,
    concurrency: 200,
    settleMs: 2000,
    settledMs: 150_000,
    sampleMs: 1000,
  },
  coldStart: { connections: 10_000, concurrency: 200, first: 1000 },
  latency: { subscribers: 1000, rate: 20, seconds: 10 },
  fireAndForget: { topics: 1000, messages: 200, window: 500 },
  setupConcurrency: 200,
  runTimeoutMs: 120_000,
};

/** `--quick`: one run of a smaller version, under two minutes in all. */
export const QUICK: Readonly<ScenarioSizes> = {
  runs: 1,
  fanout: { subscribers: 300, messages: 300, window: 16 },
  fanout100: { subscribers: 100, messages: 3000, window: 16 },
  manyTopics: { connections: 300, messages: 20, window: 4 },
  connect: { connections: 600, concurrency: 200, warmup: 300 },
  memory: { connections: 1500, concurrency: 200, settleMs: 500, settledMs: 5000, sampleMs: 500 },
  coldStart: { connections: 1500, concurrency: 200, first: 300 },
  latency: { subscribers: 300, rate: 20, seconds: 2 },
  fireAndForget: { topics: 1000, messages: 50, window: 500 },
  setupConcurrency: 200,
  runTimeoutMs: 30_000,
};
