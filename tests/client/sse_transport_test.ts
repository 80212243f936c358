// RealtimeClient over Server-Sent Events against a real hub on both
// transports: the same API (subscribe, publish with acks, history,
// recovery after the hub ends the stream), and the fall back from a
// WebSocket that cannot be opened.

import assert from "node:assert/strict";
import { RealtimeClient } from "../../src/client/mod.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { withTimeout } from "../_support/client.ts";

const ACL = { "chat:*": ["subscribe", "publish", "history"] };
const HISTORY = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];

function collect(rt: RealtimeClient, topic: string) {
  const seen: unknown[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = rt.subscribe(topic, (message) => {
    seen.push(message.payload);
    wake?.();
  });
  return {
    seen,
    unsubscribe,
    async until(count: number): Promise<unknown[]> {
      await withTimeout(
        (async () => {
          while (seen.length < count) await new Promise<void>((resolve) => wake = resolve);
        })(),
        20_000,
        `${count} messages on ${topic} (have ${seen.length})`,
      );
      return seen;
    },
  };
}

/** A TCP proxy to the hub whose connections can be cut without a word. */
function tcpProxy(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  void (async () => {
    for await (const inbound of listener) {
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port });
      open.add(inbound).add(outbound);
      inbound.readable.pipeTo(outbound.writable).catch(() => {});
      outbound.readable.pipeTo(inbound.writable).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    cut(): void {
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // Closed by a pipe already.
        }
      }
      open.clear();
    },
    [Symbol.asyncDispose](): Promise<void> {
      this.cut();
      listener.close();
      return Promise.resolve();
    },
  };
}

eachTransport(
  "RealtimeClient over SSE subscribes, publishes, reads history and recovers",
  async (t) => {
    await using hub = await startTestHub(t, { history: HISTORY });
    await using proxy = tcpProxy(hub.port);
    const token = await hub.token({ sub: "alice", acl: ACL });
    await using rt = new RealtimeClient({
      url: `ws://127.0.0.1:${proxy.port}/ws`,
      token,
      transports: ["sse"],
      backoff: { baseMs: 1, maxMs: 5 },
    });
    const sub = collect(rt, "chat:a");
    await withTimeout(
      new Promise<void>((resolve) => rt.on("subscribed", () => resolve())),
      10_000,
      "subscribed",
    );
    assert.equal(rt.transport, "sse");
    assert.equal(rt.state, "open");
    assert.equal(hub.hub.listConnections().connections[0].transport, "sse");
    await rt.publish("chat:a", "one");
    await rt.publish("chat:a", "two");
    assert.deepEqual(await sub.until(2), ["one", "two"]);
    const history = await rt.history("chat:a", { limit: 10 });
    assert.deepEqual(history.publications.map((p) => p.payload), ["one", "two"]);

    // The stream is lost: the client comes back over SSE and recovers the gap.
    const resubscribed = new Promise<boolean | undefined>((resolve) =>
      rt.on("subscribed", (info) => {
        if (info.resubscribed) resolve(info.recovered);
      })
    );
    proxy.cut();
    await hub.hub.publish("chat:a", "three");
    await hub.hub.publish("chat:a", "four");
    assert.deepEqual(await sub.until(4), ["one", "two", "three", "four"]);
    assert.equal(await withTimeout(resubscribed, 10_000, "resubscribed"), true);
    await rt.publish("chat:a", "five");
    assert.deepEqual(await sub.until(5), ["one", "two", "three", "four", "five"]);
    assert.equal(rt.transport, "sse");
  },
);

eachTransport("RealtimeClient falls back to SSE when a WebSocket cannot be opened", async (t) => {
  await using hub = await startTestHub(t, { history: HISTORY });
  const token = await hub.token({ sub: "bob", acl: ACL });
  // Nothing upgrades at /nowhere: the WebSocket fails before it opens.
  await using rt = new RealtimeClient({
    url: `ws://127.0.0.1:${hub.port}/nowhere`,
    token,
    transports: ["websocket", "sse"],
    backoff: { baseMs: 1, maxMs: 5 },
  });
  assert.equal(rt.transport, "websocket");
  const sub = collect(rt, "chat:b");
  await rt.publish("chat:b", "hello");
  assert.deepEqual(await sub.until(1), ["hello"]);
  assert.equal(rt.transport, "sse");
});

Deno.test("RealtimeClient refuses unknown transports", () => {
  for (const transports of [[], ["carrier-pigeon"], ["sse", "sse"]]) {
    assert.throws(
      () => new RealtimeClient({ url: "ws://127.0.0.1:1/ws", token: "t", transports } as never),
      TypeError,
    );
  }
});
