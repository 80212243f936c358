// The ws adapter's ring of open sockets (`OpenSockets` in
// `src/server/_ws_socket.ts`), over real TCP sockets: a socket leaves by
// itself when it closes, and a walk goes on when the socket it stands on
// leaves, as the heartbeat's walk does when it terminates sockets.

import assert from "node:assert/strict";
import net from "node:net";
import { OpenSockets, ServerWebSocket } from "../../src/server/_ws_socket.ts";

const LIMITS = { maxPayload: 1024, maxFragments: 0 };

/** Accepts `n` TCP connections on 127.0.0.1 and wraps each server side in a `ServerWebSocket`. */
async function openSockets(n: number) {
  const accepted: net.Socket[] = [];
  const { promise: allAccepted, resolve } = Promise.withResolvers<void>();
  const server = net.createServer((socket) => {
    if (accepted.push(socket) === n) resolve();
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const port = (server.address() as net.AddressInfo).port;
  const clients: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const client = net.connect(port, "127.0.0.1");
    client.on("error", () => {});
    clients.push(client);
  }
  await Promise.all(clients.map((c) => new Promise((resolve) => c.once("connect", resolve))));
  await allAccepted;
  const closedCodes: number[] = [];
  const sockets = accepted.map((socket) => {
    const ws = new ServerWebSocket(socket, new Uint8Array(0), LIMITS);
    ws.events = { message() {}, close: (code: number) => void closedCodes.push(code) };
    return ws;
  });
  const done = async () => {
    for (const c of clients) c.destroy();
    for (const s of accepted) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return { sockets, accepted, clients, closedCodes, done };
}

Deno.test("OpenSockets: a socket that closes leaves the ring by itself", async () => {
  const { sockets, accepted, closedCodes, done } = await openSockets(3);
  try {
    const ring = new OpenSockets();
    for (const ws of sockets) ring.add(ws);
    assert.deepEqual([...ring], sockets);
    const left = new Promise((resolve) => accepted[1].once("close", resolve));
    accepted[1].destroy();
    await left;
    assert.deepEqual(closedCodes, [1006]);
    assert.deepEqual([...ring], [sockets[0], sockets[2]]);
  } finally {
    await done();
  }
});

Deno.test("OpenSockets: a walk goes on when the socket it stands on leaves", async () => {
  const { sockets, done } = await openSockets(4);
  try {
    const ring = new OpenSockets();
    for (const ws of sockets) ring.add(ws);
    const walked: ServerWebSocket[] = [];
    for (const ws of ring) {
      walked.push(ws);
      // What the socket's close event does, within the walk.
      if (ws === sockets[1]) ws.closed();
    }
    assert.deepEqual(walked, sockets);
    assert.deepEqual([...ring], [sockets[0], sockets[2], sockets[3]]);
    // The first and the last leave too: the ring is empty, and a walk finds nothing.
    sockets[0].closed();
    sockets[3].closed();
    sockets[2].closed();
    assert.deepEqual([...ring], []);
  } finally {
    await done();
  }
});
