// The one protocol connection that RealtimeClient and the CLI share, against a
// real hub on both transports.

import assert from "node:assert/strict";
import { Connection, type TokenVia } from "../../src/client/mod.ts";
import type { ServerFrame } from "../../src/protocol/frames.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { withTimeout } from "../_support/client.ts";

eachTransport("Connection sends the token every supported way", async (transport) => {
  await using hub = await startTestHub(transport);
  const token = await hub.token({ sub: "ana" });
  for (const tokenVia of ["subprotocol", "query", "message", "header"] as TokenVia[]) {
    const connection = new Connection({ url: hub.url, token, tokenVia });
    const welcome = await withTimeout(connection.welcomed, 3000, `welcome via ${tokenVia}`);
    assert.equal(welcome.user, "ana", tokenVia);
    assert.equal((await withTimeout(connection.close(), 3000, "close")).code, 1000);
  }
});

eachTransport("Connection reads every frame of batched messages", async (transport) => {
  await using hub = await startTestHub(transport);
  const token = await hub.token({ sub: "ana", acl: { "feed:*": ["subscribe"] } });
  let messageEvents = 0;
  // Counts WebSocket message events, to show several frames arrived in one.
  class CountingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", () => messageEvents++);
    }
  }
  const received: unknown[] = [];
  const all = Promise.withResolvers<void>();
  const COUNT = 50;
  const connection = new Connection({
    url: hub.url,
    token,
    WebSocket: CountingWebSocket,
    onFrame: (frame: ServerFrame) => {
      if (frame.type !== "message") return;
      received.push(frame.payload);
      if (received.length === COUNT) all.resolve();
    },
  });
  await withTimeout(connection.welcomed, 3000, "welcome");
  await connection.request({ type: "subscribe", topic: "feed:a" }, {
    timeoutMs: 3000,
    what: "Subscribe",
  });
  const before = messageEvents;
  // Published in one turn: the hub flushes them together under realtime.v1.batch.
  await Promise.all(Array.from({ length: COUNT }, (_, i) => hub.hub.publish("feed:a", i)));
  await withTimeout(all.promise, 3000, `${COUNT} messages`);
  assert.deepEqual(received, Array.from({ length: COUNT }, (_, i) => i));
  assert.ok(messageEvents - before < COUNT, `${messageEvents - before} message events`);
  await withTimeout(connection.close(), 3000, "close");
});

eachTransport("Connection.request settles by id and rejects with the hub's code", async (t) => {
  await using hub = await startTestHub(t);
  const token = await hub.token({ sub: "ana", acl: { "chat:*": ["subscribe"] } });
  const connection = new Connection({ url: hub.url, token });
  await withTimeout(connection.welcomed, 3000, "welcome");
  const options = { timeoutMs: 3000, what: "Publish" };
  const [pong, refused] = await Promise.allSettled([
    connection.request({ type: "ping" }, options),
    connection.request({ type: "publish", topic: "chat:a", payload: 1 }, options),
  ]);
  assert.equal(pong.status === "fulfilled" && pong.value.type, "pong");
  assert.equal(refused.status === "rejected" && refused.reason.code, "FORBIDDEN");
  await withTimeout(connection.close(), 3000, "close");
});

eachTransport("Connection rejects pending requests with DISCONNECTED on close", async (t) => {
  await using hub = await startTestHub(t);
  const token = await hub.token({ sub: "ana" });
  const connection = new Connection({ url: hub.url, token });
  await withTimeout(connection.welcomed, 3000, "welcome");
  // The hub has let go of the connection: the ping is never answered.
  assert.equal(hub.hub.disconnectUser("ana"), 1);
  const pending = connection.request({ type: "ping" }, { timeoutMs: 60_000, what: "Ping" });
  await assert.rejects(pending, { code: "DISCONNECTED", closeCode: 4003 });
  assert.equal((await withTimeout(connection.closed, 3000, "closed")).code, 4003);
  // A request after the close fails at once, without a timer left behind.
  await assert.rejects(
    connection.request({ type: "ping" }, { timeoutMs: 60_000, what: "Ping" }),
    { code: "DISCONNECTED" },
  );
});

eachTransport("Connection.welcomed rejects when the hub refuses the token", async (t) => {
  await using hub = await startTestHub(t);
  // After the handshake: an error frame answering the auth frame.
  const late = new Connection({ url: hub.url, token: "not.a.token", tokenVia: "message" });
  await assert.rejects(withTimeout(late.welcomed, 3000, "refusal"), { code: "AUTH_FAILED" });
  assert.equal((await withTimeout(late.closed, 3000, "closed")).code, 4001);
  // In the handshake: HTTP 401, which the runtime reports before a 1006 close.
  const early = new Connection({ url: hub.url, token: "not.a.token", tokenVia: "subprotocol" });
  await assert.rejects(withTimeout(early.opened, 3000, "refusal"), {
    code: "DISCONNECTED",
    closeCode: 1006,
  });
  assert.match(String(early.closeInfo?.failure), /401/);
  assert.doesNotMatch(String(early.closeInfo?.failure), /not\.a\.token/);
});
