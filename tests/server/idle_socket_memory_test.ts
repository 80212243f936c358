// What an idle, authenticated, subscribed connection keeps on the heap over
// real sockets on 127.0.0.1, per transport: hub, adapter and runtime socket
// on the server side plus the client's Deno WebSocket, all in this process
// (the client's share is the same whatever the adapter does). Guards the
// adapters against per-socket closures that keep the upgrade's request alive.

import assert from "node:assert/strict";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { withTimeout } from "../_support/client.ts";

const COUNT = 1000;
/**
 * Measured server plus client, bytes per connection, three runs each: `ws`
 * 6,595-6,611 (6,874-6,926 while node:net kept the peer address the
 * admission read, the frame parser was an object apart from the socket and
 * the session kept fields it rarely sets; 8,050 while the adapter used npm
 * `ws`, whose WebSocket, Receiver and Sender it keeps per socket; 8,620
 * while each socket's listener table and the `ws` socket's own were left V8
 * dictionaries by the upgrade's added and removed listeners; 9,160 while the
 * adapter kept a WeakMap and a WeakSet entry, listeners on the socket before
 * and after the upgrade and `ws`'s own close closure per socket; 11,750 when
 * each socket's listeners were closures, one of which kept the upgrade's
 * request and head buffer alive), `deno` 6,897-6,913 (the adapter arms
 * Deno's heartbeat timer only once its walk finds a socket quiet, after this
 * measure; armed, measured with `heartbeatMs: 4000` after the arming walk,
 * 7,117-7,133 against 7,101-7,102 for main before the walk, whose sockets
 * were armed at the open; 7,147-7,169 then in this test, 7,292-7,307 before
 * the session's cuts; 8,780 while Deno's own heartbeat listener kept each
 * upgrade's request alive, 9,300 with `on…` handlers and closures).
 */
const BUDGET: Record<string, number> = { ws: 6_750, deno: 7_250 };
const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc!();
  return Deno.memoryUsage().heapUsed;
}

eachTransport("an idle subscribed connection keeps its heap budget", async (transport) => {
  if (gc === undefined) return; // needs --v8-flags=--expose-gc, as `deno task test` passes
  await using h = await startTestHub(transport, {
    acl: {
      rules: [{ id: "own", effect: "allow", actions: ["subscribe"], topics: ["room:{sub}"] }],
    },
    limits: { connectRatePerIp: 1_000_000, connectBurstPerIp: 1_000_000 },
  });
  const tokens = await Promise.all(
    Array.from({ length: COUNT + 1 }, (_, i) => h.token({ sub: `u${i}` })),
  );
  const sockets: WebSocket[] = [];
  function open(i: number): Promise<void> {
    const ws = new WebSocket(h.url, ["realtime.v1", "auth", tokens[i]]);
    sockets.push(ws);
    return withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.onopen = () => ws.send(JSON.stringify({ type: "subscribe", topic: `room:u${i}` }));
        ws.onmessage = (event) => {
          if (String(event.data).startsWith('{"type":"ack"')) resolve();
        };
        ws.onerror = () => reject(new Error(`Connection ${i} failed`));
      }),
      10_000,
      `subscription ${i}`,
    );
  }
  await open(COUNT);
  const before = heapUsed();
  for (let i = 0; i < COUNT; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, k) => open(i + k)));
  }
  const perConnection = (heapUsed() - before) / COUNT;
  assert.equal(h.hub.subscriptionCount, COUNT + 1);
  const closed = sockets.map((ws) =>
    new Promise<void>((resolve) => ws.addEventListener("close", () => resolve()))
  );
  for (const ws of sockets) ws.close();
  await withTimeout(Promise.all(closed), 10_000, "closes");
  assert.ok(
    perConnection > 0 && perConnection < BUDGET[transport],
    `${perConnection.toFixed(0)} bytes per connection on ${transport}`,
  );
});
