/**
 * Publish-to-delivery on a topic no pattern matches, on a hub with no
 * pattern subscriptions and on one with 100,000 distinct ones (issue 12: a
 * publication must cost what its matching patterns cost, not every pattern on
 * the hub). Each hub is real and served on 127.0.0.1 (default `ws`
 * transport); one WebSocket client subscribes to `news:x` and each iteration
 * publishes there from the server and waits for the client to receive it.
 * The patterns are subscribed over 100 connections of one user, in four
 * shapes (`m:<i>:*`, `m:*:<i>`, `m:<i>:**`, `m:*:*:<i>`).
 *
 * The `registry` group times the registry's part alone (no sockets), which
 * a busy machine disturbs far less than a delivery over loopback.
 *
 * Run: `deno bench --allow-env --allow-net=127.0.0.1 bench/patterns_bench.ts`.
 *
 * @module
 */

import { createHub, type Hub } from "../mod.ts";
import { createRegistry } from "../src/hub/registry.ts";
import { serve, type Server } from "../src/server/mod.ts";
import { mintToken } from "../src/auth/mod.ts";
import { BENCH_LIMITS, BENCH_SECRET } from "./_config.ts";
import { ITERATIONS, MICRO_PATTERNS_0, MICRO_PATTERNS_100K, SLOW_ITERATIONS } from "./_micro.ts";

const PATTERNS = 100_000;
const CONNECTIONS = 100;
/** Setup deadline: subscribing is bounded in count (above) and in time (this). */
const SETUP_MS = 120_000;

interface Served {
  readonly hub: Hub;
  readonly server: Server;
  readonly url: string;
  readonly token: string;
}

async function start(): Promise<Served> {
  const hub = createHub({
    auth: { secret: BENCH_SECRET, algorithms: ["HS256"] },
    limits: {
      ...BENCH_LIMITS,
      maxSubscriptions: PATTERNS / CONNECTIONS + 1,
      maxPatternsPerConnection: PATTERNS / CONNECTIONS,
      maxPatternsPerUser: PATTERNS,
      maxPatternsPerHub: PATTERNS,
      maxConnectionsPerUser: CONNECTIONS + 1,
      // Each socket sends all its subscribes at once; a subscribe waits for
      // the engine, so the frames behind it queue (256 by default).
      maxQueuedFrames: PATTERNS / CONNECTIONS + 1,
    },
    log: () => {},
  });
  const server = await serve(hub, { port: 0, hostname: "127.0.0.1" });
  const token = await mintToken(
    { sub: "bench", acl: { "m:**": ["subscribe"], "news:*": ["subscribe"] } },
    { secret: BENCH_SECRET },
    { ttl: "2h" },
  );
  return { hub, server, url: `ws://127.0.0.1:${server.port}/ws`, token };
}

/** Opens a socket, waits for its welcome, and hands every later text line to `onLine`. */
async function connect(served: Served, onLine: (line: string) => void): Promise<WebSocket> {
  const ws = new WebSocket(served.url, ["realtime.v1", "auth", served.token]);
  let welcomed!: () => void;
  const welcome = new Promise<void>((resolve) => welcomed = resolve);
  ws.onmessage = (e) => {
    for (const line of String(e.data).split("\n")) {
      if (line.includes('"welcome"')) welcomed();
      else if (line !== "") onLine(line);
    }
  };
  await within(welcome, 5_000, "welcome");
  return ws;
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function pattern(i: number): string {
  switch (i % 4) {
    case 0:
      return `m:${i}:*`;
    case 1:
      return `m:*:${i}`;
    case 2:
      return `m:${i}:**`;
    default:
      return `m:*:*:${i}`;
  }
}

/** Subscribes `count` distinct patterns over CONNECTIONS sockets; resolves once all are acknowledged. */
async function subscribePatterns(served: Served, count: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  let acked = 0;
  let done!: () => void;
  let failed!: (error: Error) => void;
  const all = new Promise<void>((resolve, reject) => [done, failed] = [resolve, reject]);
  const onLine = (line: string) => {
    if (line.startsWith('{"type":"ack"')) {
      if (++acked === count) done();
    } else failed(new Error(`Subscribing failed: ${line.slice(0, 200)}`));
  };
  const perSocket = count / CONNECTIONS;
  for (let c = 0; c < CONNECTIONS; c++) {
    const ws = await connect(served, onLine);
    sockets.push(ws);
    for (let k = 0; k < perSocket; k++) {
      const i = c * perSocket + k;
      ws.send(JSON.stringify({ type: "subscribe", id: i, topic: pattern(i) }));
    }
  }
  await within(all, SETUP_MS, `${count} pattern subscriptions`);
  return sockets;
}

/** A hub with `patterns` pattern subscriptions and one subscriber of `news:x`. */
async function setup(patterns: number) {
  const served = await start();
  const holders = patterns === 0 ? [] : await subscribePatterns(served, patterns);
  if (served.hub.subscriptionCount !== patterns) {
    throw new Error(`Expected ${patterns} subscriptions, have ${served.hub.subscriptionCount}`);
  }
  let delivered: (() => void) | undefined;
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => acked = resolve);
  const reader = await connect(served, (line) => {
    if (line.startsWith('{"type":"ack"')) acked();
    else if (line.includes('"topic":"news:x"')) delivered?.();
  });
  reader.send(JSON.stringify({ type: "subscribe", id: 1, topic: "news:x" }));
  await within(ack, 5_000, "news:x subscription");
  const publishAndReceive = async () => {
    const arrived = new Promise<void>((resolve) => delivered = resolve);
    await served.hub.publish("news:x", 1);
    await within(arrived, 5_000, "delivery");
  };
  await publishAndReceive(); // fails here, not in the timed loop, if the setup is wrong
  const close = async () => {
    for (const ws of [...holders, reader]) ws.close();
    await served.hub.close();
    await served.server.close();
  };
  return { publishAndReceive, close };
}

const empty = await setup(0);
const crowded = await setup(PATTERNS);
// The two share the publish path's code: warm it on both before timing either, so the first
// benchmark does not also pay for compiling it.
for (let i = 0; i < 500; i++) {
  await empty.publishAndReceive();
  await crowded.publishAndReceive();
}

Deno.bench({
  name: MICRO_PATTERNS_0,
  group: "patterns",
  baseline: true,
  ...SLOW_ITERATIONS,
  fn: empty.publishAndReceive,
});

Deno.bench({
  name: MICRO_PATTERNS_100K,
  group: "patterns",
  ...SLOW_ITERATIONS,
  fn: crowded.publishAndReceive,
});

/** The registry alone: one subscriber of `news:x`, and the same patterns as above (or none). */
function registryWith(patterns: number) {
  const registry = createRegistry<{ send(text: string): void }>({ onFirst() {}, onLast() {} });
  const holder = { send() {} };
  for (let i = 0; i < patterns; i++) registry.add(pattern(i), holder);
  let delivered = 0;
  registry.add("news:x", { send: () => delivered++ });
  return () => registry.forEach("news:x", (s) => s.send(""));
}

for (const [name, patterns] of [["0 patterns", 0], ["100,000 patterns", PATTERNS]] as const) {
  Deno.bench({
    name: `registry.forEach, unrelated topic, ${name}`,
    group: "registry",
    baseline: patterns === 0,
    ...ITERATIONS,
    fn: registryWith(patterns),
  });
}

globalThis.addEventListener("unload", () => {
  // The process is ending; closing is best-effort so sockets are not left half-open.
  void empty.close();
  void crowded.close();
});
