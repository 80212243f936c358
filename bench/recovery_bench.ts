// deno-lint-ignore-file no-console
/**
 * `deno run -A bench/recovery_bench.ts [--quick]`: recovery of `missed`
 * publications by `subscribers` reconnecting subscribers at once, while live
 * delivery continues on another topic. The hub runs as its own process
 * (`bench/servers/hub.ts deno history <size>`); a worker with its own event
 * loop publishes on a live topic every 5 ms and measures each live
 * message's latency. Reports the recovery time and the largest live latency
 * while the recoveries ran (the stall; target at most 50 ms).
 *
 * @module
 */

import { mintToken } from "../src/auth/mint.ts";
import { BENCH_SECRET } from "./_config.ts";

const quick = Deno.args.includes("--quick");
const SUBSCRIBERS = quick ? 200 : 1000;
const MISSED = 1000;
const TOPIC = "bench:recover";
const ACL = { "bench:*": ["subscribe", "publish"] };

const root = new URL("..", import.meta.url).pathname;
const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "bench/servers/hub.ts",
    "deno",
    "history",
    String(MISSED),
  ],
  cwd: root,
  stdout: "piped",
  stderr: "null",
}).spawn();
const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let out = "";
while (!out.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("The hub exited before READY");
  out += value;
}
const port = Number(out.match(/READY (\d+)/)![1]);
const url = `ws://127.0.0.1:${port}/ws`;
const token = await mintToken({ sub: "bench", acl: ACL }, { secret: BENCH_SECRET }, { ttl: "1h" });

/** Opens a socket and resolves on its welcome; frames go to `onFrame`. */
function open(
  onFrame: (frame: Record<string, unknown>) => void,
  as = token,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["realtime.v1.batch", "realtime.v1", "auth", as]);
    ws.onclose = (e) => reject(new Error(`Closed with ${e.code} ${e.reason}`));
    ws.onerror = () => reject(new Error("WebSocket failed"));
    ws.onmessage = (e) => {
      for (const line of String(e.data).split("\n")) {
        if (line === "") continue;
        const frame = JSON.parse(line);
        if (frame.type === "welcome") resolve(ws);
        else onFrame(frame);
      }
    };
  });
}

function request(ws: WebSocket, frame: Record<string, unknown>): void {
  ws.send(JSON.stringify(frame));
}

// The live prober: its own event loop, so the recovering clients here do not delay it.
const prober = new Worker(
  `data:text/javascript,${
    encodeURIComponent(`
  let max = 0, measuring = false, count = 0;
  const at = () => performance.timeOrigin + performance.now();
  self.onmessage = async (e) => {
    if (e.data.url) {
      const sub = new WebSocket(e.data.url, ["realtime.v1", "auth", e.data.token]);
      const pub = new WebSocket(e.data.url, ["realtime.v1", "auth", e.data.token]);
      sub.onmessage = (m) => {
        const f = JSON.parse(m.data);
        if (f.type === "welcome") sub.send('{"type":"subscribe","id":1,"topic":"bench:live"}');
        if (f.type === "ack") self.postMessage({ ready: true });
        if (f.type === "message" && measuring) { count++; max = Math.max(max, at() - f.payload); }
      };
      await new Promise((r) => pub.onopen = r);
      setInterval(() => pub.send(JSON.stringify({ type: "publish", topic: "bench:live", payload: at() })), 5);
    }
    if (e.data.start) { measuring = true; max = 0; count = 0; }
    if (e.data.stop) { measuring = false; self.postMessage({ max, count }); }
  };
`)
  }`,
  { type: "module" },
);
const probeReady = new Promise((resolve) => prober.onmessage = (e) => e.data.ready && resolve(0));
prober.postMessage({ url, token });
await probeReady;

// The subscribers take their position, then go away.
let position = { offset: 0, epoch: "" };
{
  const ws = await open((frame) => {
    if (frame.type === "ack") {
      position = { offset: frame.offset as number, epoch: frame.epoch as string };
    }
  });
  request(ws, { type: "subscribe", id: 1, topic: TOPIC });
  while (position.epoch === "") await new Promise((r) => setTimeout(r, 5));
  ws.close();
}
const publisher = await open(() => {});
// MISSED in all, the last one acked: exactly the default maxRecover (1000).
for (let i = 0; i < MISSED - 1; i++) {
  request(publisher, { type: "publish", topic: TOPIC, payload: i });
}
// The last publication's ack says the hub holds them all.
await new Promise<void>((resolve) => {
  publisher.onmessage = (e) => String(e.data).includes('"id":"last"') && resolve();
  request(publisher, { type: "publish", id: "last", topic: TOPIC, payload: "last" });
});

// Every subscriber reconnects and recovers at once.
const done = Promise.withResolvers<void>();
let complete = 0;
let incomplete = 0;
const sockets: WebSocket[] = [];
prober.postMessage({ start: true });
const started = performance.now();
// One user each: the hub allows 100 connections per user.
const tokens = await Promise.all(
  Array.from(
    { length: SUBSCRIBERS },
    (_, s) => mintToken({ sub: `bench-${s}`, acl: ACL }, { secret: BENCH_SECRET }, { ttl: "1h" }),
  ),
);
for (let s = 0; s < SUBSCRIBERS; s++) {
  let got = 0;
  const ws = await open((frame) => {
    if (frame.type === "ack" && frame.recovered !== true) incomplete++;
    if (frame.type === "message" && ++got === MISSED && ++complete === SUBSCRIBERS) {
      done.resolve();
    }
  }, tokens[s]);
  sockets.push(ws);
  request(ws, { type: "subscribe", id: 1, topic: TOPIC, since: position });
}
const timer = setTimeout(() => done.reject(new Error(`Only ${complete} completed`)), 120_000);
await done.promise;
clearTimeout(timer);
const elapsed = performance.now() - started;
const stall = await new Promise<{ max: number; count: number }>((resolve) => {
  prober.onmessage = (e) => e.data.max !== undefined && resolve(e.data);
  prober.postMessage({ stop: true });
});
console.log(
  `recovery: ${SUBSCRIBERS} subscribers x ${MISSED} missed, recovered: false ${incomplete}, ` +
    `all replayed in ${elapsed.toFixed(0)} ms; live messages meanwhile ${stall.count}, ` +
    `max live latency (stall) ${stall.max.toFixed(1)} ms (target <= 50)`,
);
for (const ws of sockets) ws.close();
publisher.close();
prober.terminate();
server.kill("SIGTERM");
await server.status;
