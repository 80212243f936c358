/**
 * Heap retained per idle, authenticated, subscribed connection in the hub
 * core, in one process and without sockets: each connection goes through
 * `hub.admit` (a real HS256 token in the subprotocol list, the benchmark
 * rules) and `hub.connect` with a socket that only counts, opens and
 * subscribes to its own topic. Reports (heap used after a full GC with the
 * connections, minus before) / N. The adapters' share is what the `memory`
 * scenario adds on top.
 *
 * ```sh
 * deno run --allow-env --allow-read --v8-flags=--expose-gc bench/idle_heap.ts 10000
 * ```
 *
 * @module
 */

import { SignJWT } from "jose";
import { composeHub } from "../src/hub/hub.ts";
import type { HubSocket, SocketHandler } from "../src/hub/transport.ts";
import { BENCH_LIMITS, BENCH_RULES, BENCH_SECRET } from "./_config.ts";

const count = Number(Deno.args[0] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

const hub = composeHub({
  auth: { secret: BENCH_SECRET, algorithms: ["HS256"] },
  acl: { rules: BENCH_RULES },
  limits: BENCH_LIMITS,
  log: () => {},
}, {
  upgrade: () => Promise.resolve(new Response(null, { status: 501 })),
  schedule: (fn) => queueMicrotask(fn),
});
const key = new TextEncoder().encode(BENCH_SECRET);
const exp = Math.floor(Date.now() / 1000) + 3600;
const tokens: string[] = [];
for (let i = 0; i < count; i++) {
  tokens.push(
    await new SignJWT({ roles: ["member"] }).setProtectedHeader({ alg: "HS256" }).setSubject(
      `u${i}`,
    ).setExpirationTime(exp).sign(key),
  );
}

/** A socket that keeps nothing but what a real one would: nothing of the frames. */
class NullSocket implements HubSocket {
  bufferedAmount = 0;
  send(_text: string): void {}
  close(_code: number, _reason: string): void {}
}

async function open(i: number): Promise<SocketHandler> {
  const req = new Request("http://127.0.0.1/ws", {
    headers: {
      upgrade: "websocket",
      "sec-websocket-protocol": `realtime.v1.batch,realtime.v1,auth,${tokens[i]}`,
    },
  });
  const admission = await hub.admit(req, { remoteAddr: "127.0.0.1", transport: "stub" });
  if (!admission.ok) throw new Error(`Refused: ${admission.response.status}`);
  const handler = hub.connect(new NullSocket(), admission);
  handler.open();
  handler.message(JSON.stringify({ type: "subscribe", topic: `room:u${i}`, id: 1 }));
  return handler;
}

function heap(): number {
  for (let i = 0; i < 3; i++) gc!();
  return Deno.memoryUsage().heapUsed;
}

// Warm up the code paths (and the per-IP bucket) before measuring.
const warm = await open(0);
await new Promise((resolve) => setTimeout(resolve, 10));
const before = heap();
const handlers: SocketHandler[] = [warm];
for (let i = 1; i < count; i++) handlers.push(await open(i));
await new Promise((resolve) => setTimeout(resolve, 10));
const after = heap();
if (hub.subscriptionCount !== count) throw new Error(`Subscribed: ${hub.subscriptionCount}`);
Deno.stdout.writeSync(new TextEncoder().encode(
  `${count} connections: ${((after - before) / (count - 1)).toFixed(0)} bytes retained each ` +
    `(heap ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MiB)\n`,
));
for (const handler of handlers) handler.close(1000);
await hub.close();
