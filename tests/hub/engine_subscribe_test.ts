// A networked engine's subscribe is awaited: over real sockets, with a real
// engine whose subscribe is asynchronous and can fail (as Redis's can).

import assert from "node:assert/strict";
import { connectWelcomed, TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import type { Engine, EngineListener, EngineSubscription } from "../../src/engine/engine.ts";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";

const ACL = {
  rules: [{ effect: "allow" as const, actions: ["subscribe" as const], topics: ["news:*"] }],
};

/**
 * The in-memory engine with a networked engine's subscribe: it answers
 * asynchronously, after `gate` opens, and fails while `down` is set.
 */
function remoteLikeEngine() {
  const inner = createMemoryEngine();
  let asked: (() => void) | undefined;
  const state = {
    held: new Set<string>(),
    down: false,
    gate: Promise.resolve() as Promise<void>,
    /** Resolves at the next call of `subscribe`. */
    asked(): Promise<void> {
      return new Promise((resolve) => asked = resolve);
    },
  };
  const engine: Engine = {
    ...bind(inner),
    async subscribe(topic: string, listener: EngineListener): Promise<EngineSubscription> {
      asked?.();
      await state.gate;
      if (state.down) throw new Error("connection refused");
      const subscription = await inner.subscribe(topic, listener);
      state.held.add(topic);
      return {
        async unsubscribe() {
          await state.gate;
          state.held.delete(topic);
          await subscription.unsubscribe();
        },
      };
    },
  };
  return Object.assign(state, { engine });
}

/** The engine's methods bound to it, to spread into a wrapper. */
function bind(engine: Engine): Engine {
  return {
    publish: engine.publish.bind(engine),
    subscribe: engine.subscribe.bind(engine),
    position: engine.position.bind(engine),
    history: engine.history.bind(engine),
    recover: engine.recover.bind(engine),
    presenceAdd: engine.presenceAdd.bind(engine),
    presenceRemove: engine.presenceRemove.bind(engine),
    presence: engine.presence.bind(engine),
    presenceStats: engine.presenceStats.bind(engine),
    control: engine.control.bind(engine),
    onControl: engine.onControl.bind(engine),
    close: engine.close.bind(engine),
    [Symbol.asyncDispose]: engine[Symbol.asyncDispose].bind(engine),
  };
}

eachTransport(
  "subscribe answers INTERNAL with retry when the engine fails, and succeeds once it is back",
  async (t) => {
    const engine = remoteLikeEngine();
    engine.down = true;
    await using h = await startTestHub(t, { engine: engine.engine, acl: ACL });
    const [socket] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "a" })],
    });
    const refused = await socket.request({ type: "subscribe", id: 1, topic: "news:today" });
    assert.equal(refused.type, "error");
    assert.equal(refused.code, "INTERNAL");
    assert.equal(refused.retry, true);
    assert.match(refused.message, /Cannot subscribe to 'news:today' now/);
    assert.equal(h.hub.subscriptionCount, 0, "a failed subscribe was registered");
    assert.ok(h.logs.some((e) => e.event === "engine.subscribe_failed"));
    // The connection is unharmed, and a retry works once the engine is back.
    assert.equal((await socket.request({ type: "ping", id: 2 })).type, "pong");
    engine.down = false;
    assert.equal(
      (await socket.request({ type: "subscribe", id: 3, topic: "news:today" })).type,
      "ack",
    );
    await h.hub.publish("news:today", "hello");
    assert.equal((await socket.next((f) => f.type === "message")).payload, "hello");
    await socket.close();
  },
);

eachTransport("subscribe is acknowledged only once the engine holds the topic", async (t) => {
  const engine = remoteLikeEngine();
  let open!: () => void;
  engine.gate = new Promise((resolve) => open = resolve);
  await using h = await startTestHub(t, { engine: engine.engine, acl: ACL });
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "a" })],
  });
  const asked = engine.asked();
  socket.send({ type: "subscribe", id: 1, topic: "news:today" });
  await asked;
  // A round trip on another connection: an ack sent early would be here by now.
  const [other] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "b" })],
  });
  assert.equal((await other.request({ type: "ping", id: 1 })).type, "pong");
  assert.equal(socket.pending.find((f) => f.id === 1), undefined, "acknowledged too early");
  open();
  assert.equal((await socket.next((f) => f.id === 1)).type, "ack");
  assert.ok(engine.held.has("news:today"));
  assert.equal(h.hub.subscriptionCount, 1);
  await other.close();
  await socket.close();
});

eachTransport(
  "a connection that closes while the engine subscribes leaves nothing held",
  async (t) => {
    const engine = remoteLikeEngine();
    let open!: () => void;
    engine.gate = new Promise((resolve) => open = resolve);
    await using h = await startTestHub(t, { engine: engine.engine, acl: ACL });
    const socket = new TestSocket(h.url, { protocols: ["auth", await h.token({ sub: "a" })] });
    await socket.next((f) => f.type === "welcome");
    const asked = engine.asked();
    socket.send({ type: "subscribe", id: 1, topic: "news:today" });
    await asked;
    await socket.close();
    const [watcher] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "b" })],
    });
    open();
    // The engine's subscribe, then its unsubscribe, settle after the gate.
    await engine.gate;
    await watcher.request({ type: "ping", id: 1 });
    assert.equal(h.hub.subscriptionCount, 0);
    assert.equal(
      engine.held.has("news:today"),
      false,
      "the engine still holds a topic no one wants",
    );
    await watcher.close();
  },
);

eachTransport(
  "on an observing engine, patterns are found by the hub's index: none is subscribed in the engine",
  async (t) => {
    // The in-memory engine matches its pattern subscriptions one by one for
    // every publication; the hub's registry indexes them. With `observe`, the
    // hub must not subscribe patterns in the engine (100,000 of them made an
    // unrelated publish cost ~58 ms instead of ~20 us).
    const inner = createMemoryEngine();
    const subscribed: string[] = [];
    const engine: Engine = {
      ...bind(inner),
      observe: inner.observe!.bind(inner),
      subscribe(topic: string, listener: EngineListener) {
        subscribed.push(topic);
        return inner.subscribe(topic, listener);
      },
    };
    await using h = await startTestHub(t, { engine, acl: ACL });
    const [socket] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "p" })],
    });
    for (const [id, topic] of [[1, "news:*"], [2, "news:a"]] as const) {
      assert.equal((await socket.request({ type: "subscribe", id, topic })).type, "ack");
    }
    await h.hub.publish("news:b", "through the pattern");
    await h.hub.publish("news:a", "once, though both match");
    const first = await socket.next((f) => f.type === "message");
    const second = await socket.next((f) => f.type === "message");
    assert.deepEqual([first.topic, first.payload], ["news:b", "through the pattern"]);
    assert.deepEqual([second.topic, second.payload], ["news:a", "once, though both match"]);
    await h.hub.publish("news:c", "last");
    assert.equal((await socket.next((f) => f.type === "message")).payload, "last");
    assert.deepEqual(subscribed, [], "nothing subscribed in an observing engine");
    await socket.close();
  },
);
