// Pattern subscriptions are bounded per connection, per user and per hub, over real
// sockets on both transports: a refusal is a RATE_LIMITED error reply, the connection stays
// open and usable, and released patterns free the room again.

import assert from "node:assert/strict";
import { connectWelcomed, type TestSocket } from "../_support/client.ts";
import { eachTransport, startTestHub, type TestHub } from "../_support/hub.ts";
import { createHub } from "../../src/server/create_hub.ts";
import { until } from "../_support/raw.ts";

const M = { "m:**": ["subscribe", "publish"] };

async function open(h: TestHub, sub: string): Promise<TestSocket> {
  const [socket] = await connectWelcomed(h.url, {
    protocols: ["realtime.v1", "auth", await h.token({ sub, acl: M })],
  });
  return socket;
}

/** Subscribes and returns the reply frame. */
function subscribe(socket: TestSocket, id: number, topic: string) {
  return socket.request({ type: "subscribe", id, topic });
}

/** The connection is still open and still delivers: a publication on `m:live` arrives. */
async function stillServed(h: TestHub, socket: TestSocket): Promise<void> {
  assert.equal((await subscribe(socket, 900, "m:live")).type, "ack");
  await h.hub.publish("m:live", "still here");
  const got = await socket.next((f) => f.type === "message" && f.topic === "m:live");
  assert.equal(got.payload, "still here");
}

eachTransport(
  "maxPatternsPerConnection refuses one pattern too many and keeps the connection",
  async (t) => {
    await using h = await startTestHub(t, { limits: { maxPatternsPerConnection: 2 } });
    const alice = await open(h, "alice");
    assert.equal((await subscribe(alice, 1, "m:a:*")).type, "ack");
    assert.equal((await subscribe(alice, 2, "m:b:**")).type, "ack");
    const third = await subscribe(alice, 3, "m:c:*");
    assert.deepEqual([third.type, third.code, third.retry, third.message], [
      "error",
      "RATE_LIMITED",
      true,
      "Cannot subscribe to 'm:c:*' as this connection has 2 pattern subscriptions: at most 2 are allowed",
    ]);
    assert.equal(h.hub.subscriptionCount, 2);
    assert.equal(h.hub.metrics.rateLimitHits.get("pattern_subscriptions"), 1);
    // Concrete topics are not patterns; a released pattern frees its place.
    await stillServed(h, alice);
    assert.equal((await alice.request({ type: "unsubscribe", id: 4, topic: "m:a:*" })).type, "ack");
    assert.equal((await subscribe(alice, 5, "m:c:*")).type, "ack");
    await alice.close();
  },
);

eachTransport("maxPatternsPerUser counts patterns across a user's connections", async (t) => {
  await using h = await startTestHub(t, { limits: { maxPatternsPerUser: 3 } });
  const one = await open(h, "alice");
  const two = await open(h, "alice");
  const bob = await open(h, "bob");
  assert.equal((await subscribe(one, 1, "m:1:*")).type, "ack");
  assert.equal((await subscribe(one, 2, "m:2:*")).type, "ack");
  assert.equal((await subscribe(two, 1, "m:3:*")).type, "ack");
  const refused = await subscribe(two, 2, "m:4:*");
  assert.deepEqual([refused.code, refused.message], [
    "RATE_LIMITED",
    "Cannot subscribe to 'm:4:*' as this user has 3 pattern subscriptions: at most 3 are allowed",
  ]);
  // Another user is not affected.
  assert.equal((await subscribe(bob, 1, "m:4:*")).type, "ack");
  await stillServed(h, two);
  // Closing one connection gives its patterns back to the user.
  await one.close();
  await until(() => h.hub.connectionCount === 2, 3000, "the closed connection to be released");
  assert.equal((await subscribe(two, 3, "m:4:*")).type, "ack");
  await two.close();
  await bob.close();
});

eachTransport("maxPatternsPerHub bounds patterns across every user", async (t) => {
  await using h = await startTestHub(t, { limits: { maxPatternsPerHub: 2 } });
  const alice = await open(h, "alice");
  const bob = await open(h, "bob");
  assert.equal((await subscribe(alice, 1, "m:a:*")).type, "ack");
  assert.equal((await subscribe(bob, 1, "m:b:*")).type, "ack");
  const refused = await subscribe(bob, 2, "m:**");
  assert.deepEqual([refused.code, refused.message], [
    "RATE_LIMITED",
    "Cannot subscribe to 'm:**' as the hub has 2 pattern subscriptions: at most 2 are allowed",
  ]);
  await stillServed(h, bob);
  // A repeated subscription is not a new one and is acknowledged.
  assert.equal((await subscribe(alice, 2, "m:a:*")).type, "ack");
  assert.equal((await alice.request({ type: "unsubscribe", id: 3, topic: "m:a:*" })).type, "ack");
  assert.equal((await subscribe(bob, 3, "m:**")).type, "ack");
  await alice.close();
  await bob.close();
});

Deno.test("createHub refuses a pattern limit that is not a positive integer", () => {
  for (
    const limits of [{ maxPatternsPerConnection: 0 }, { maxPatternsPerUser: 1.5 }, {
      maxPatternsPerHub: -1,
    }]
  ) {
    const [name, value] = Object.entries(limits)[0];
    assert.throws(() => createHub({ auth: { secret: "x".repeat(32) }, limits }), {
      name: "RangeError",
      message: `Cannot create hub as 'limits.${name}' is ${value}: a positive integer is required`,
    });
  }
});
