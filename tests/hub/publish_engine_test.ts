// Publishing through the engine over real sockets: fire-and-forget
// publishes, acks only once the engine confirmed, an engine failure
// answered with retry, and a gap in a networked engine's offsets turned
// into insufficient_state.

import assert from "node:assert/strict";
import { connectWelcomed, type TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import type { Delivery, Engine } from "../../src/engine/engine.ts";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";
import type { HubOptions } from "../../src/hub/options.ts";

const ACL = { "chat:*": ["subscribe", "publish"] };
const HISTORY: HubOptions["history"] = [{ pattern: "chat:*", size: 10, ttlMs: 60_000 }];

async function join(h: TestHub): Promise<TestSocket> {
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["realtime.v1", "auth", await h.token({ sub: "alice", acl: ACL })],
  });
  return socket;
}

/** The in-memory engine with a switch that makes publish fail, and one that skips offsets. */
function faultyEngine() {
  const inner = createMemoryEngine({ history: HISTORY });
  const state = { failing: false, skip: false };
  const engine: Engine = {
    publish: (topic, publication) =>
      state.failing ? Promise.reject(new Error("store down")) : inner.publish(topic, publication),
    subscribe: (topic, listener) =>
      inner.subscribe(topic, {
        ...listener,
        // A networked engine that lost a publication: the next delivery's offset jumps.
        onPublication: (d: Delivery) =>
          listener.onPublication(state.skip && d.offset ? { ...d, offset: d.offset + 1 } : d),
      }),
    position: (topic) => inner.position(topic),
    history: (topic, query) => inner.history(topic, query),
    recover: (topic, since, max) => inner.recover(topic, since, max),
    presenceAdd: (topic, entry) => inner.presenceAdd(topic, entry),
    presenceRemove: (topic, connection) => inner.presenceRemove(topic, connection),
    presence: (topic) => inner.presence(topic),
    presenceStats: (topic) => inner.presenceStats(topic),
    control: (command) => inner.control(command),
    onControl: (handler) => inner.onControl(handler),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
  return Object.assign(state, { engine });
}

eachTransport("publish without an id gets no ack; a refused one still gets an error", async (t) => {
  await using h = await startTestHub(t);
  const socket = await join(h);
  await socket.request({ type: "subscribe", id: "s", topic: "chat:a" });
  socket.send({ type: "publish", topic: "chat:a", payload: 1 });
  socket.send({ type: "publish", topic: "news:a", payload: 2 });
  const error = await socket.next((f) => f.type === "error");
  assert.deepEqual([error.code, "id" in error], ["FORBIDDEN", false]);
  await socket.request({ type: "ping", id: "p" });
  assert.equal((await socket.next((f) => f.type === "message")).payload, 1);
  assert.deepEqual(socket.pending.filter((f) => f.type === "ack"), [], "no ack");
  await socket.close();
});

eachTransport(
  "an engine that cannot store a publication gets INTERNAL with retry, not an ack",
  async (t) => {
    const faulty = faultyEngine();
    await using h = await startTestHub(t, { engine: faulty.engine, history: HISTORY });
    const socket = await join(h);
    faulty.failing = true;
    const reply = await socket.request({ type: "publish", id: 1, topic: "chat:a", payload: 1 });
    assert.deepEqual([reply.type, reply.code, reply.retry], ["error", "INTERNAL", true]);
    assert.ok(!reply.message.includes("store down"), "the engine's error stays in the log");
    faulty.failing = false;
    assert.equal(
      (await socket.request({ type: "publish", id: 2, topic: "chat:a", payload: 1 })).type,
      "ack",
    );
    await socket.close();
    await faulty.engine.close();
  },
);

eachTransport(
  "a gap in the engine's offsets tells the subscriber insufficient_state",
  async (t) => {
    const faulty = faultyEngine();
    await using h = await startTestHub(t, { engine: faulty.engine, history: HISTORY });
    const socket = await join(h);
    await socket.request({ type: "subscribe", id: 1, topic: "chat:a" });
    await h.hub.publish("chat:a", 1);
    faulty.skip = true;
    await h.hub.publish("chat:a", 2);
    const frame = await socket.next((f) => f.type === "insufficient_state");
    assert.deepEqual(frame, { type: "insufficient_state", topic: "chat:a" });
    await socket.close();
    await faulty.engine.close();
  },
);
