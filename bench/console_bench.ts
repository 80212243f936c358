/**
 * What an open operator console costs the hub: one snapshot (totals, the
 * first 100 connections, the 100 busiest topics, JSON-encoded once for every
 * viewer), taken once a second only while someone watches, with 10,000
 * connections on 1,000 topics. Nobody watching costs nothing: no timer runs.
 *
 * Run: `deno bench --allow-env bench/console_bench.ts`.
 *
 * @module
 */

import { createHub } from "../mod.ts";
import { mintToken, type Principal } from "../src/auth/mod.ts";
import { createConsoleFeed } from "../src/admin/console/mod.ts";
import type { Clock } from "../src/hub/clock.ts";
import { BENCH_SECRET } from "./_config.ts";
import { SLOW_ITERATIONS } from "./_micro.ts";

const CONNECTIONS = 10_000;
const TOPICS = 1_000;

// Time moves only when told: each iteration runs exactly one snapshot.
let now = 1_700_000_000_000;
let due: (() => void) | undefined;
const clock: Clock = {
  now: () => now,
  setTimer: (fn) => (due = fn),
  clearTimer: () => void (due = undefined),
};

const hub = createHub({
  auth: { secret: BENCH_SECRET },
  acl: { rules: [{ effect: "allow", actions: "*", topics: ["room:*"] }] },
  clock,
  log: () => {},
  limits: { maxConnections: CONNECTIONS * 2, maxConnectionsPerUser: CONNECTIONS },
});
await mintToken({ sub: "warm" }, { secret: BENCH_SECRET }, { ttl: "1h" });
const socket = { send() {}, close() {}, bufferedAmount: 0 };
for (let i = 0; i < CONNECTIONS; i++) {
  const principal: Principal = { sub: `u${i}`, roles: [], claims: {}, expiresAt: null };
  const handler = hub.connect(socket, {
    ok: true,
    protocol: undefined,
    principal,
    peer: { remoteAddr: "127.0.0.1", transport: "bench" },
  });
  handler.open();
  handler.message(JSON.stringify({ type: "subscribe", topic: `room:${i % TOPICS}` }));
}
if (hub.subscriptionCount !== CONNECTIONS) throw new Error("Setup failed: subscriptions missing");

const feed = createConsoleFeed(hub, { clock });
const reader = feed.open()!.getReader();
await reader.read(); // the history event
let bytes = 0;

Deno.bench({
  name: `console snapshot, ${CONNECTIONS} connections on ${TOPICS} topics (one per second per hub)`,
  group: "console",
  ...SLOW_ITERATIONS,
  fn: async () => {
    now += 1000;
    due?.();
    bytes = (await reader.read()).value?.byteLength ?? 0;
  },
});

globalThis.addEventListener("unload", () => {
  // deno-lint-ignore no-console
  console.error(`snapshot size: ${bytes} bytes`);
});
