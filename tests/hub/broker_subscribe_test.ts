// A networked broker's subscribe is awaited: over real sockets, with a real
// broker whose subscribe is asynchronous and can fail (as Redis's can).

import assert from "node:assert/strict";
import { connectWelcomed, TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { type Broker, createMemoryBroker, type Publication } from "../../src/hub/broker.ts";

const ACL = {
  rules: [{ effect: "allow" as const, actions: ["subscribe" as const], topics: ["news:*"] }],
};

/**
 * An in-process broker with a networked broker's shape: subscribe answers
 * asynchronously, after `gate` opens, and fails while `down` is set.
 */
class RemoteLikeBroker implements Broker {
  readonly held = new Set<string>();
  down = false;
  gate: Promise<void> = Promise.resolve();
  #asked: (() => void) | undefined;
  #inner = createMemoryBroker();

  /** Resolves at the next call of `subscribe`. */
  asked(): Promise<void> {
    return new Promise((resolve) => this.#asked = resolve);
  }

  listen(deliver: (publication: Publication) => void): void {
    this.#inner.listen(deliver);
  }
  publish(publication: Publication): void | Promise<void> {
    return this.#inner.publish(publication);
  }
  async subscribe(topic: string): Promise<void> {
    this.#asked?.();
    await this.gate;
    if (this.down) throw new Error("connection refused");
    this.held.add(topic);
  }
  async unsubscribe(topic: string): Promise<void> {
    await this.gate;
    this.held.delete(topic);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

eachTransport(
  "subscribe answers INTERNAL with retry when the broker fails, and succeeds once it is back",
  async (t) => {
    const broker = new RemoteLikeBroker();
    broker.down = true;
    await using h = await startTestHub(t, { broker, acl: ACL });
    const [socket] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "a" })],
    });
    const refused = await socket.request({ type: "subscribe", id: 1, topic: "news:today" });
    assert.equal(refused.type, "error");
    assert.equal(refused.code, "INTERNAL");
    assert.equal(refused.retry, true);
    assert.match(refused.message, /Cannot subscribe to 'news:today' now/);
    assert.equal(h.hub.subscriptionCount, 0, "a failed subscribe was registered");
    assert.ok(h.logs.some((e) => e.event === "broker.subscribe_failed"));
    // The connection is unharmed, and a retry works once the broker is back.
    assert.equal((await socket.request({ type: "ping", id: 2 })).type, "pong");
    broker.down = false;
    assert.equal(
      (await socket.request({ type: "subscribe", id: 3, topic: "news:today" })).type,
      "ack",
    );
    await h.hub.publish("news:today", "hello");
    assert.equal((await socket.next((f) => f.type === "message")).payload, "hello");
    await socket.close();
  },
);

eachTransport("subscribe is acknowledged only once the broker holds the topic", async (t) => {
  const broker = new RemoteLikeBroker();
  let open!: () => void;
  broker.gate = new Promise((resolve) => open = resolve);
  await using h = await startTestHub(t, { broker, acl: ACL });
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["auth", await h.token({ sub: "a" })],
  });
  const asked = broker.asked();
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
  assert.ok(broker.held.has("news:today"));
  assert.equal(h.hub.subscriptionCount, 1);
  await other.close();
  await socket.close();
});

eachTransport(
  "a connection that closes while the broker subscribes leaves nothing held",
  async (t) => {
    const broker = new RemoteLikeBroker();
    let open!: () => void;
    broker.gate = new Promise((resolve) => open = resolve);
    await using h = await startTestHub(t, { broker, acl: ACL });
    const socket = new TestSocket(h.url, { protocols: ["auth", await h.token({ sub: "a" })] });
    await socket.next((f) => f.type === "welcome");
    const asked = broker.asked();
    socket.send({ type: "subscribe", id: 1, topic: "news:today" });
    await asked;
    await socket.close();
    const [watcher] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "b" })],
    });
    open();
    // The broker's subscribe, then its unsubscribe, settle after the gate.
    await broker.gate;
    await watcher.request({ type: "ping", id: 1 });
    assert.equal(h.hub.subscriptionCount, 0);
    assert.equal(
      broker.held.has("news:today"),
      false,
      "the broker still holds a topic no one wants",
    );
    await watcher.close();
  },
);
