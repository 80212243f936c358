// Batching (`realtime.v1.batch`) over real sockets on both transports: who
// gets batches, that frames keep their order inside and across batches, and
// that plain `realtime.v1` clients still get one frame per message.

import assert from "node:assert/strict";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { type Frame, withTimeout } from "../_support/client.ts";

/** A socket that keeps every raw WebSocket message. */
async function rawSocket(url: string, protocols: string[]) {
  const ws = new WebSocket(url, protocols);
  const messages: string[] = [];
  let wake = () => {};
  ws.onmessage = (event) => {
    messages.push(String(event.data));
    wake();
  };
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("WebSocket failed to open"));
    }),
    3000,
    "open",
  );
  const frames = (): Frame[] =>
    messages.flatMap((m) => m.split("\n")).filter((l) => l !== "").map((l) => JSON.parse(l));
  return {
    ws,
    messages,
    frames,
    /** Waits until `done(frames)` holds. */
    async until(done: (frames: Frame[]) => boolean, what: string) {
      const deadline = Date.now() + 5000;
      while (!done(frames())) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await withTimeout(new Promise<void>((resolve) => wake = resolve), 5000, what);
      }
    },
    close: () => ws.close(1000),
  };
}

eachTransport(
  "realtime.v1.batch clients get a burst in fewer messages, in order; realtime.v1 clients one frame each",
  async (t) => {
    await using h = await startTestHub(t);
    const acl = { "feed:*": ["subscribe"] };
    const batched = await rawSocket(h.url, [
      "realtime.v1.batch",
      "realtime.v1",
      "auth",
      await h.token({ sub: "b", acl }),
    ]);
    const plain = await rawSocket(h.url, ["realtime.v1", "auth", await h.token({ sub: "p", acl })]);
    assert.equal(batched.ws.protocol, "realtime.v1.batch");
    assert.equal(plain.ws.protocol, "realtime.v1");
    for (const socket of [batched, plain]) {
      socket.ws.send(JSON.stringify({ type: "subscribe", id: 1, topic: "feed:x" }));
      await socket.until((f) => f.some((x) => x.type === "ack" && x.id === 1), "subscribe ack");
      socket.messages.length = 0;
    }
    // One synchronous burst: every publication is queued in the same turn.
    const burst = Array.from({ length: 50 }, (_, n) => h.hub.publish("feed:x", { n }));
    await Promise.all(burst);
    const all = (f: Frame[]) => f.filter((x) => x.type === "message").length === 50;
    await batched.until(all, "50 batched messages");
    await plain.until(all, "50 plain messages");
    for (const socket of [batched, plain]) {
      assert.deepEqual(socket.frames().map((f) => f.payload.n), [...Array(50).keys()]);
    }
    assert.equal(plain.messages.length, 50);
    assert.ok(batched.messages.length < 50, `${batched.messages.length} messages for 50 frames`);
    assert.ok(batched.messages.some((m) => m.includes("\n")));
    assert.ok(h.hub.metrics.socketWrites < 100 + 10, `${h.hub.metrics.socketWrites} writes`);
    batched.close();
    plain.close();
  },
);

eachTransport(
  "a batching publisher gets its own delivery before the ack of the same publish",
  async (t) => {
    await using h = await startTestHub(t);
    const socket = await rawSocket(h.url, [
      "realtime.v1.batch",
      "auth",
      await h.token({ sub: "me", acl: { "room:*": ["subscribe", "publish"] } }),
    ]);
    socket.ws.send(JSON.stringify({ type: "subscribe", id: "s", topic: "room:1" }));
    for (let i = 0; i < 20; i++) {
      socket.ws.send(JSON.stringify({ type: "publish", id: i, topic: "room:1", payload: i }));
    }
    await socket.until((f) => f.some((x) => x.type === "ack" && x.id === 19), "last ack");
    const seen = socket.frames().filter((f) => f.type === "message" || f.type === "ack")
      .map((f) => f.type === "message" ? `m${f.payload}` : `a${f.id}`);
    // Acks follow the engine's confirmation, so a burst's acks may trail its
    // messages; each message still comes before its own ack, both in order.
    assert.equal(seen[0], "as");
    for (let i = 0; i < 20; i++) assert.ok(seen.indexOf(`m${i}`) < seen.indexOf(`a${i}`), `m${i}`);
    assert.deepEqual(seen.filter((x) => x[0] === "m"), [...Array(20).keys()].map((i) => `m${i}`));
    assert.deepEqual(
      seen.filter((x) => x[0] === "a").slice(1),
      [...Array(20).keys()].map((i) => `a${i}`),
    );
    socket.close();
  },
);

eachTransport(
  "frames queued before a close leave before the close frame",
  async (t) => {
    await using h = await startTestHub(t);
    const socket = await rawSocket(h.url, [
      "realtime.v1.batch",
      "auth",
      await h.token({ sub: "gone", acl: { "feed:*": ["subscribe"] } }),
    ]);
    const closed = new Promise<number>((resolve) => socket.ws.onclose = (e) => resolve(e.code));
    socket.ws.send(JSON.stringify({ type: "subscribe", id: 1, topic: "feed:x" }));
    await socket.until((f) => f.some((x) => x.type === "ack"), "ack");
    // Published and disconnected in one turn: the message is still queued at the close.
    const published = h.hub.publish("feed:x", "last words");
    assert.equal(h.hub.disconnectUser("gone"), 1);
    await published;
    assert.equal(await withTimeout(closed, 3000, "close"), 4003);
    assert.deepEqual(
      socket.frames().filter((f) => f.type === "message").map((f) => f.payload),
      ["last words"],
    );
  },
);
