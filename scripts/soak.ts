// deno-lint-ignore-file no-console
// deno task soak [--seconds 30] [--stable 2000] [--churn 200]
//
// A bounded soak test on loopback: keeps `stable` subscribers connected
// while `churn` workers connect, subscribe, publish and disconnect in a loop;
// then reports messages lost by the stable connections (must be 0), memory
// before and after, and registry entries left behind (must be 0). Exits 1 if
// either invariant is broken.

import { parseArgs } from "node:util";
import { createHub } from "../src/hub/hub.ts";
import { mintToken } from "../src/auth/mint.ts";
import { serve } from "../src/server/serve.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "30" },
    stable: { type: "string", default: "2000" },
    churn: { type: "string", default: "100" },
    transport: { type: "string", default: "ws" },
  },
});
const seconds = Math.min(600, Number(values.seconds));
const stableCount = Math.min(20_000, Number(values.stable));
const churnWorkers = Math.min(1000, Number(values.churn));
const secret = crypto.randomUUID() + crypto.randomUUID();

const hub = createHub({
  auth: { secret },
  log: () => {},
  limits: { connectRatePerIp: 1e9, connectBurstPerIp: 1e9, maxConnectionsPerUser: 1e6 },
});
const server = await serve(hub, {
  port: 0,
  transport: values.transport === "deno" ? "deno" : "ws",
});
const url = `ws://127.0.0.1:${server.port}/ws`;
const acl = { "soak:*": ["subscribe", "publish"] };
const token = await mintToken({ sub: "soak", acl }, { secret }, { ttl: "1h" });
const rss = () => Math.round(Deno.memoryUsage().rss / 2 ** 20);

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["realtime.v1", "auth", token]);
    const timer = setTimeout(() => reject(new Error("connect timeout")), 10_000);
    ws.onmessage = (e) => {
      if (JSON.parse(e.data).type === "welcome") {
        clearTimeout(timer);
        resolve(ws);
      }
    };
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new Error("connect failed"));
    };
  });
}

const rssBefore = rss();
console.log(
  `soak: ${stableCount} stable subscribers, ${churnWorkers} churn workers, ${seconds}s, transport ${values.transport}`,
);

// Stable subscribers count what they receive on soak:stable, once subscribed.
const received = new Array(stableCount).fill(0);
const stable: WebSocket[] = [];
for (let i = 0; i < stableCount; i += 200) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(200, stableCount - i) }, () => open()),
  );
  await Promise.all(batch.map((ws) => {
    const index = stable.length;
    stable.push(ws);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("subscribe timeout")), 10_000);
      ws.onmessage = (e) => {
        for (const line of String(e.data).split("\n")) {
          if (line === "") continue;
          const frame = JSON.parse(line);
          if (frame.type === "message") received[index]++;
          else if (frame.type === "ack" && frame.id === 1) {
            clearTimeout(timer);
            resolve();
          }
        }
      };
      ws.send(JSON.stringify({ type: "subscribe", id: 1, topic: "soak:stable" }));
    });
  }));
}
console.log(`soak: stable subscribers up, rss ${rss()} MiB`);

const deadline = Date.now() + seconds * 1000;
let churned = 0;
let published = 0;
let errors = 0;
const worker = async (n: number) => {
  while (Date.now() < deadline) {
    try {
      const ws = await open();
      ws.send(JSON.stringify({ type: "subscribe", id: 1, topic: `soak:room${n % 50}` }));
      ws.send(
        JSON.stringify({ type: "publish", id: 2, topic: `soak:room${n % 50}`, payload: { n } }),
      );
      const closed = new Promise((resolve) => ws.onclose = resolve);
      ws.close();
      await closed;
      churned++;
    } catch {
      errors++;
    }
  }
};
const publisher = async () => {
  while (Date.now() < deadline) {
    await hub.publish("soak:stable", { n: published, pad: "x".repeat(64) });
    published++;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
await Promise.all([publisher(), ...Array.from({ length: churnWorkers }, (_, n) => worker(n))]);

// Let the last deliveries arrive, bounded.
const settle = Date.now() + 10_000;
while (received.some((n) => n < published) && Date.now() < settle) {
  await new Promise((r) => setTimeout(r, 50));
}
const lost = received.reduce((sum, n) => sum + (published - n), 0);
for (const ws of stable) ws.close();
const drained = Date.now() + 10_000;
while (hub.connectionCount > 0 && Date.now() < drained) await new Promise((r) => setTimeout(r, 50));
const stats = hub.stats();
const leaked = stats.connections + stats.users + stats.topics + stats.subscriptions;
const rssAfter = rss();
await hub.close();
await server.close();

console.log(
  `soak: churned ${churned} connections (${errors} errors), published ${published} to ${stableCount} stable subscribers`,
);
console.log(`soak: messages lost ${lost}`);
console.log(`soak: rss before ${rssBefore} MiB, after ${rssAfter} MiB`);
console.log(`soak: leaked registry entries ${leaked} ${JSON.stringify(stats)}`);
Deno.exit(lost === 0 && leaked === 0 ? 0 : 1);
