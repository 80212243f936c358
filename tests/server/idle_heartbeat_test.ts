// The Deno adapter keeps Deno's heartbeat timer off sockets that are
// talking: Deno re-arms it on every frame it reads while the socket's
// `[[idleTimeout]]` slot is set, and the adapter's walk disarms sockets heard
// since its last pass and arms the quiet ones. Over real sockets on
// 127.0.0.1 with the walk driven by hand: frames after a walk arm no timer,
// the timer a walk disarms is cancelled (not left to ping and close), and a
// quiet peer that does not answer the ping the walk armed is closed; and
// through the adapter, a talking socket has no timer and a quiet one has.

import assert from "node:assert/strict";
import { IdleHeartbeat } from "../../src/server/_idle_heartbeat.ts";
import {
  HeartbeatWalk,
  leave,
  type Linked,
  type Walked,
} from "../../src/server/_heartbeat_walk.ts";
import { createHub, type HubSocket } from "../../mod.ts";
import { upgradeWithDeno } from "../../src/server/deno_adapter.ts";
import type { UpgradeTarget } from "../../src/hub/transport.ts";
import { mintToken } from "../../src/auth/mod.ts";
import { rawHandshake, until } from "../_support/raw.ts";
import { withTimeout } from "../_support/client.ts";

/** A server socket as the adapter keeps it: heard on every message. */
class Member implements Walked {
  prev: Linked = this;
  next: Linked = this;
  heard = false;
  readonly webSocket: WebSocket;
  /** Deno's pending heartbeat timer after each message (Deno re-arms it before dispatching). */
  readonly timers: unknown[] = [];
  readonly closed: Promise<CloseEvent>;

  constructor(webSocket: WebSocket) {
    this.webSocket = webSocket;
    webSocket.addEventListener("message", () => {
      this.heard = true;
      this.timers.push(timerOf(webSocket));
    });
    this.closed = new Promise((resolve) => webSocket.addEventListener("close", resolve));
  }
}

/** Deno's `[[idleTimeoutTimeout]]` slot: the heartbeat timer pending on the socket, if any. */
function timerOf(socket: WebSocket): unknown {
  const slot = Object.getOwnPropertySymbols(socket).find((s) =>
    s.description === "[[idleTimeoutTimeout]]"
  );
  assert.ok(slot !== undefined, "Deno's WebSocket has no [[idleTimeoutTimeout]] slot");
  // A server socket starts with `null` there.
  return (socket as unknown as Record<symbol, unknown>)[slot] ?? undefined;
}

/**
 * A server whose first socket is upgraded with Deno's heartbeat (for the
 * check, as the adapter does) and the others without; it hands out the
 * others' server sockets once open.
 */
async function heartbeatServer() {
  const heartbeat = new IdleHeartbeat();
  const opened: WebSocket[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const first = !heartbeat.checked;
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: first ? 30 : 0 });
    if (first) heartbeat.check(socket, 30);
    else socket.addEventListener("open", () => opened.push(socket), { once: true });
    return response;
  });
  const url = `ws://127.0.0.1:${server.addr.port}/`;
  const first = new WebSocket(url);
  await withTimeout(new Promise((resolve) => first.onopen = resolve), 5000, "first open");
  first.close();
  await withTimeout(new Promise((resolve) => first.onclose = resolve), 5000, "first close");
  assert.equal(heartbeat.lean, true, "Deno's heartbeat slots were not found");
  async function next(): Promise<WebSocket> {
    const deadline = Date.now() + 5000;
    while (opened.length === 0) {
      if (Date.now() > deadline) throw new Error("No server socket opened within 5000 ms");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return opened.shift()!;
  }
  return { heartbeat, server, url, port: server.addr.port, next };
}

/** Waits until the member has read `count` messages in all. */
async function received(member: Member, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (member.timers.length < count) {
    if (Date.now() > deadline) throw new Error(`${member.timers.length} of ${count} messages`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("HeartbeatWalk disarms a socket heard since its last pass: its frames then arm no Deno timer", async () => {
  const { heartbeat, server, url, next } = await heartbeatServer();
  await using _ = server;
  const client = new WebSocket(url);
  const member = new Member(await next());
  const ws = member.webSocket;
  // An interval no test waits for: the passes below are the test's.
  const walk = new HeartbeatWalk(heartbeat, 3600);
  heartbeat.arm(ws, 3600);
  walk.add(member);
  try {
    // Armed, Deno starts a timer for every frame it reads.
    for (let i = 0; i < 5; i++) client.send(`before ${i}`);
    await received(member, 5);
    assert.equal(new Set(member.timers).size, 5);
    assert.ok(member.timers.every((timer) => timer !== undefined));
    const pending = member.timers[4] as { _destroyed?: boolean };

    walk.walk();
    assert.equal(heartbeat.armed(ws), false);
    assert.equal(timerOf(ws), undefined);
    // Cancelled in Deno's timer list: left pending, it would ping, then
    // close the socket 1 ms later (the slot it reads is now 0).
    assert.equal(pending._destroyed, true);

    for (let i = 0; i < 100; i++) client.send(`after ${i}`);
    await received(member, 105);
    assert.deepEqual(member.timers.slice(5), Array(100).fill(undefined));

    // Heard again: still disarmed. Then a pass heard of nothing arms it.
    walk.walk();
    assert.equal(heartbeat.armed(ws), false);
    walk.walk();
    assert.equal(heartbeat.armed(ws), true);
    assert.notEqual(timerOf(ws), undefined);
  } finally {
    client.close();
    await withTimeout(member.closed, 5000, "close");
    leave(member);
    heartbeat.disarm(ws);
  }
});

Deno.test("HeartbeatWalk arms a quiet socket, and Deno closes a peer that does not answer the ping", async () => {
  const { heartbeat, server, port, next } = await heartbeatServer();
  await using _ = server;
  const peer = await rawHandshake(port, "/");
  const member = new Member(await next());
  const ws = member.webSocket;
  // 0.2 s: the ping 0.1 s after the pass that arms it, the close 0.1 s later.
  const walk = new HeartbeatWalk(heartbeat, 0.2);
  walk.add(member);
  try {
    await peer.conn.write(maskedText("hello"));
    await received(member, 1);
    walk.walk();
    assert.equal(heartbeat.armed(ws), false);
    walk.walk();
    assert.equal(heartbeat.armed(ws), true);
    const closed = await withTimeout(member.closed, 5000, "the heartbeat's close");
    assert.equal(closed.code, 1001);
    assert.equal(closed.reason, "No response from ping frame.");
  } finally {
    leave(member);
    heartbeat.disarm(ws);
    peer.close();
  }
});

Deno.test("upgradeWithDeno's socket has no Deno heartbeat timer while it talks, and gets one once quiet", async () => {
  const secret = "idle-heartbeat-test-secret-32-bytes!!";
  await using hub = createHub({ auth: { secret }, limits: { heartbeatMs: 1000 } });
  const sockets: HubSocket[] = [];
  // The hub as the adapter sees it, keeping the sockets it attaches.
  const target: UpgradeTarget = {
    admit: (req, info) => hub.admit(req, info),
    connect(s, admission) {
      sockets.push(s);
      return hub.connect(s, admission);
    },
    limits: hub.limits,
  };
  await using server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    (req, info) => upgradeWithDeno(target, req, { remoteAddr: info.remoteAddr.hostname }),
  );
  const key = new TextEncoder().encode(secret);
  const url = `ws://127.0.0.1:${server.addr.port}/ws?token=`;
  // The process's first socket is the one the adapter checks Deno's slots on.
  const first = new WebSocket(url + await mintToken({ sub: "first" }, { secret: key }));
  await withTimeout(new Promise((resolve) => first.onopen = resolve), 5000, "first open");
  first.close();
  await withTimeout(new Promise((resolve) => first.onclose = resolve), 5000, "first close");

  const client = new WebSocket(url + await mintToken({ sub: "talker" }, { secret: key }));
  await withTimeout(new Promise((resolve) => client.onopen = resolve), 5000, "open");
  await until(() => sockets.length === 2, 5000, "the socket");
  const ws = (sockets[1] as unknown as { webSocket: WebSocket }).webSocket;
  const duration = Object.getOwnPropertySymbols(ws).find((s) =>
    s.description === "[[idleTimeout]]"
  );
  assert.ok(duration !== undefined, "Deno's WebSocket has no [[idleTimeout]] slot");
  const seconds = () => (ws as unknown as Record<symbol, number>)[duration];
  try {
    // Talking: the walks (every 0.5 s here) find it heard and leave it unarmed.
    let talking = true;
    const talk = (async () => {
      while (talking) {
        client.send(JSON.stringify({ type: "ping" }));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await until(() => seconds() === 0 && timerOf(ws) === undefined, 5000, "no heartbeat");
    talking = false;
    await talk;
    // Quiet: a walk arms it, with the hub's interval.
    await until(() => seconds() === 1 && timerOf(ws) !== undefined, 5000, "the heartbeat armed");
  } finally {
    const closed = new Promise((resolve) => client.onclose = resolve);
    client.close();
    await withTimeout(closed, 5000, "close");
  }
});

/** A masked client text frame (payload < 126 bytes). */
function maskedText(text: string): Uint8Array {
  const data = new TextEncoder().encode(text);
  const mask = [1, 2, 3, 4];
  const frame = new Uint8Array(6 + data.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | data.length;
  frame.set(mask, 2);
  for (let i = 0; i < data.length; i++) frame[6 + i] = data[i] ^ mask[i % 4];
  return frame;
}
