// The hub's `events` observer over real sockets on both transports: what a
// connection does is told in order, presence off tells no joins, and an
// observer that throws is logged and changes nothing for the client.

import assert from "node:assert/strict";
import { connectWelcomed } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { until } from "../_support/raw.ts";
import type { HubEvent } from "../../src/hub/hub_events.ts";

const ACL = { "chat:*": ["subscribe", "publish"] };

eachTransport(
  "events tells connect, join, publication, leave and disconnect in order",
  async (t) => {
    const events: HubEvent[] = [];
    await using h = await startTestHub(t, { events: (e) => events.push(e) });
    const token = await h.token({ sub: "alice", acl: ACL } as never);
    const [socket, welcome] = await connectWelcomed(h.url, {
      protocols: ["realtime.v1", "auth", token],
    });
    await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    await socket.request({ type: "publish", id: 2, topic: "chat:a", payload: { n: 1 } });
    await h.hub.publish("chat:a", { from: "server" });
    await socket.request({ type: "unsubscribe", id: 3, topic: "chat:a" });
    await socket.close();
    await until(() => events.some((e) => e.type === "disconnect"), 5000, "the disconnect");
    assert.deepEqual(
      events.map((e) => e.type),
      ["connect", "join", "publication", "publication", "leave", "disconnect"],
    );
    const [connect, join, fromClient, fromServer, , disconnect] = events;
    assert.equal(connect.type === "connect" && connect.connection, welcome.connectionId);
    assert.equal(join.type === "join" && `${join.user} ${join.topic}`, "alice chat:a");
    assert.equal(fromClient.type === "publication" && fromClient.data, '{"n":1}');
    assert.equal(fromClient.type === "publication" && fromClient.from, "alice");
    assert.equal(fromServer.type === "publication" && fromServer.from, null);
    assert.equal(disconnect.type === "disconnect" && disconnect.code, 1000);
    assert.ok(events.every((e) => typeof e.at === "number"));
  },
);

eachTransport("events tells no join or leave when presence is off", async (t) => {
  const events: HubEvent[] = [];
  await using h = await startTestHub(t, { presence: false, events: (e) => events.push(e) });
  const token = await h.token({ sub: "bob", acl: ACL } as never);
  const [socket] = await connectWelcomed(h.url, { protocols: ["realtime.v1", "auth", token] });
  await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
  await socket.close();
  await until(() => events.some((e) => e.type === "disconnect"), 5000, "the disconnect");
  assert.deepEqual(events.map((e) => e.type), ["connect", "disconnect"]);
});

eachTransport(
  "an events observer that throws is logged; the client sees nothing of it",
  async (t) => {
    await using h = await startTestHub(t, {
      events: () => {
        throw new Error("observer bug");
      },
    });
    const token = await h.token({ sub: "carol", acl: ACL } as never);
    const [socket] = await connectWelcomed(h.url, { protocols: ["realtime.v1", "auth", token] });
    assert.equal((await socket.request({ type: "subscribe", id: 1, topic: "chat:a" })).type, "ack");
    const ack = await socket.request({ type: "publish", id: 2, topic: "chat:a", payload: 1 });
    assert.equal(ack.type, "ack");
    await socket.next((f) => f.type === "message");
    assert.equal((await socket.request({ type: "ping", id: 3 })).type, "pong");
    await socket.close();
    await until(
      () => h.logs.filter((e) => e.event === "events.failed").length >= 4,
      5000,
      "the logged failures",
    );
    assert.ok(h.logs.some((e) => e.event === "events.failed" && e.type === "disconnect"));
  },
);
