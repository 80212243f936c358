// The hub reads its clock once per publish frame: the rate bucket, the
// decision cache's expiry and the publication's `ts` share that reading, so a
// publication's `ts` is the time its frame arrived. Work a frame leaves for
// later reads the clock again.

import assert from "node:assert/strict";
import { composeHub } from "../../src/hub/hub.ts";
import type { HubSocket, SocketHandler, UpgradeTarget } from "../../src/hub/transport.ts";
import { mintToken } from "../../src/auth/mod.ts";
import { createFrameClock } from "../../src/hub/_frame_clock.ts";

const secret = "frame-clock-test-secret-of-32-bytes!!";

Deno.test("createFrameClock answers the held time until released", () => {
  let t = 5;
  const frames = createFrameClock({ now: () => t++, setTimer: () => 0, clearTimer: () => {} });
  assert.equal(frames.now(), 5);
  frames.hold(100);
  assert.deepEqual([frames.now(), frames.now()], [100, 100]);
  frames.release();
  assert.equal(frames.now(), 6);
});

/** A hub on a clock that counts its readings, with `readers` subscribers of `room:a` and a publisher. */
async function countingHub(coalesceMs: number, readers: number) {
  const clock = {
    reads: 0,
    t: 1_000_000,
    // Every reading moves time on by a millisecond: a second read would show in `ts`.
    now: () => (clock.reads++, clock.t++),
    setTimer: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimer: (h: unknown) => clearTimeout(h as number),
  };
  const turns: (() => void)[] = [];
  let target: UpgradeTarget | undefined;
  const hub = composeHub({
    auth: { secret },
    acl: { rules: [{ effect: "allow", actions: ["subscribe", "publish"], topics: ["room:*"] }] },
    clock,
    coalesceMs,
    log: () => {},
  }, {
    upgrade: (x) => {
      target = x;
      return Promise.resolve(new Response(null, { status: 501 }));
    },
    schedule: (fn) => void turns.push(fn),
  });
  await hub.upgrade(new Request("http://127.0.0.1/ws"));
  const received: string[] = [];
  const socket: HubSocket = { send: (s) => void received.push(s), close() {}, bufferedAmount: 0 };
  async function open(sub: string): Promise<SocketHandler> {
    const token = await mintToken({ sub }, { secret: new TextEncoder().encode(secret) }, {
      ttl: "1h",
    });
    const admission = await target!.admit(
      new Request("http://127.0.0.1/ws", {
        headers: { upgrade: "websocket", "sec-websocket-protocol": `realtime.v1, auth, ${token}` },
      }),
    );
    assert.ok(admission.ok);
    const handler = target!.connect(socket, admission);
    handler.open();
    return handler;
  }
  for (let i = 0; i < readers; i++) {
    (await open(`reader${i}`)).message(
      JSON.stringify({ type: "subscribe", id: 1, topic: "room:a" }),
    );
  }
  const writer = await open("writer");
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    turns.splice(0).forEach((fn) => fn());
  }
  return { hub, clock, writer, received, turn: () => turns.splice(0).forEach((fn) => fn()) };
}

Deno.test("a publish frame reads the hub's clock once, and its ts is that reading", async () => {
  const { hub, clock, writer, received, turn } = await countingHub(0, 1);
  // The first publish decides and caches; the next ones hit the cache.
  for (let n = 0; n < 3; n++) {
    received.length = 0;
    const before = clock.reads;
    const at = clock.t;
    writer.message(JSON.stringify({ type: "publish", topic: "room:a", payload: { n } }));
    turn();
    const message = JSON.parse(received.find((s) => s.includes('"message"'))!);
    assert.deepEqual([message.payload, message.ts, clock.reads - before], [{ n }, at, 1]);
  }
  await hub.close();
});

Deno.test("a publish frame to many subscribers of a hub that was busy reads the clock once", async () => {
  // 64 writes in one flush make the hub busy; its coalescing window is then
  // asked about each subscriber's publication, by the frame's reading.
  const { hub, clock, writer, turn } = await countingHub(2, 64);
  writer.message(JSON.stringify({ type: "publish", topic: "room:a", payload: 1 }));
  turn();
  clock.t += 10; // past the window: the next publications are not held
  const before = clock.reads;
  writer.message(JSON.stringify({ type: "publish", topic: "room:a", payload: 2 }));
  assert.equal(clock.reads - before, 1);
  turn();
  await hub.close();
});
