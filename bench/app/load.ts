// deno-lint-ignore-file no-console
/**
 * The load generator of the handler benchmarks, as its own process:
 * `latency <url> <count>` (one publisher, one subscriber, one publication in
 * flight: publish-to-delivery times), `throughput <url> <publishers>
 * <each>` (every publisher keeps up to 16 publications in flight on its own
 * topic and receives them), `connect <url> <count> jwt|cookie` (connections
 * opened to `welcome`, 32 at a time). Prints one JSON line. Every wait is
 * bounded.
 *
 * @module
 */

import { mintToken } from "../../src/auth/mint.ts";
import { BENCH_SECRET } from "../_config.ts";

const WAIT_MS = 10_000;
/** A whole throughput run. */
const RUN_MS = 90_000;
const [kind, url, ...rest] = Deno.args;

interface Peer {
  ws: WebSocket;
  onMessage(fn: (frame: Record<string, unknown>) => void): void;
}

async function open(sub: string, how: "jwt" | "cookie" = "jwt"): Promise<Peer> {
  const ws = how === "jwt"
    ? new WebSocket(url, ["realtime.v1", "auth", await token(sub)])
    : new WebSocket(
      url,
      { protocols: ["realtime.v1"], headers: { cookie: `user=${sub}` } } as never,
    );
  let handler: (frame: Record<string, unknown>) => void = () => {};
  const welcomed = Promise.withResolvers<void>();
  const timer = setTimeout(() => welcomed.reject(new Error(`${sub}: no welcome`)), WAIT_MS);
  ws.onmessage = (e) => {
    const frame = JSON.parse(String(e.data));
    if (frame.type === "welcome") welcomed.resolve();
    else handler(frame);
  };
  ws.onclose = (e) => welcomed.reject(new Error(`${sub}: closed ${e.code} ${e.reason}`));
  try {
    await welcomed.promise;
  } finally {
    clearTimeout(timer);
  }
  return { ws, onMessage: (fn) => handler = fn };
}

const tokens = new Map<string, string>();
async function token(sub: string): Promise<string> {
  let t = tokens.get(sub);
  if (t === undefined) {
    t = await mintToken({ sub }, { secret: BENCH_SECRET }, { ttl: "1h" });
    tokens.set(sub, t);
  }
  return t;
}

/** Subscribes and waits for the ack. */
function subscribe(peer: Peer, topic: string): Promise<void> {
  return bounded((done) => {
    peer.onMessage((f) => f.type === "ack" && f.id === "sub" && done());
    peer.ws.send(JSON.stringify({ type: "subscribe", id: "sub", topic }));
  }, `subscribe ${topic}`);
}

function bounded(
  start: (done: () => void) => void,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out: ${what}`)), timeoutMs);
    start(() => (clearTimeout(timer), resolve()));
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function latency(count: number) {
  const subscriber = await open("sub");
  const publisher = await open("pub");
  await subscribe(subscriber, "bench:lat");
  publisher.onMessage(() => {});
  const times: number[] = [];
  for (let i = 0; i < count + 100; i++) {
    const sent = performance.now();
    await bounded((done) => {
      subscriber.onMessage((f) => f.type === "message" && done());
      publisher.ws.send(
        JSON.stringify({ type: "publish", topic: "bench:lat", payload: { n: i, text: "hello" } }),
      );
    }, `delivery ${i}`);
    if (i >= 100) times.push(performance.now() - sent);
  }
  subscriber.ws.close();
  publisher.ws.close();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), count };
}

async function throughput(publishers: number, each: number) {
  const peers = await Promise.all(
    Array.from({ length: publishers }, (_, i) => open(`p${i}`)),
  );
  await Promise.all(peers.map((peer, i) => subscribe(peer, `bench:tp:${i}`)));
  const started = performance.now();
  await Promise.all(peers.map((peer, i) =>
    bounded(
      (done) => {
        let sent = 0;
        let received = 0;
        const send = () => {
          sent++;
          peer.ws.send(
            JSON.stringify({ type: "publish", topic: `bench:tp:${i}`, payload: { n: sent } }),
          );
        };
        peer.onMessage((f) => {
          if (f.type !== "message") return;
          received++;
          if (received === each) done();
          else if (sent < each) send();
        });
        for (let k = 0; k < Math.min(16, each); k++) send();
      },
      `publisher ${i}`,
      RUN_MS,
    )
  ));
  const seconds = (performance.now() - started) / 1000;
  for (const peer of peers) peer.ws.close();
  return { perSecond: (publishers * each) / seconds, publishers, each };
}

async function connect(count: number, how: "jwt" | "cookie") {
  for (let i = 0; i < count; i++) await token(`c${i}`);
  const started = performance.now();
  let nextIndex = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (nextIndex < count) {
      const peer = await open(`c${nextIndex++}`, how);
      const closed = new Promise((resolve) => peer.ws.addEventListener("close", resolve));
      peer.ws.close();
      await closed;
    }
  }));
  return { perSecond: count / ((performance.now() - started) / 1000), count };
}

try {
  const result = kind === "latency"
    ? await latency(Number(rest[0]))
    : kind === "throughput"
    ? await throughput(Number(rest[0]), Number(rest[1]))
    : await connect(Number(rest[0]), rest[1] as "jwt" | "cookie");
  console.log(JSON.stringify(result));
  Deno.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  Deno.exit(1);
}
