// A connection's cached publish decisions over real sockets: they expire by
// the cache's time-to-live, a rules update or a token refresh drops them, and
// each connection keeps its own even when publishers take turns (the hub
// remembers the last publisher's cache between frames).

import assert from "node:assert/strict";
import { connectWelcomed } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import type { AclRule } from "../../src/acl/rules.ts";

const RULES: AclRule[] = [{
  effect: "allow",
  actions: ["subscribe", "publish"],
  topics: ["chat:*"],
}];

eachTransport(
  "cached publish decisions expire by ttlMs, per connection, while publishers take turns",
  async (t) => {
    const clock = new ManualClock();
    const asked: string[] = [];
    await using h = await startTestHub(t, {
      clock,
      acl: { rules: RULES },
      decisionCache: { ttlMs: 1_000 },
      // Every answer of the hook is cached: its calls count the cache's misses.
      authorize: (principal, action, topic) =>
        void asked.push(`${principal.sub} ${action} ${topic}`),
    });
    const [alice] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "alice" }, { now: clock.now })],
    });
    const [bob] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "bob" }, { now: clock.now })],
    });
    let id = 0;
    const publish = async (socket: typeof alice, topic: string) =>
      (await socket.request({ type: "publish", id: ++id, topic, payload: id })).type;
    for (let round = 0; round < 3; round++) {
      for (const socket of [alice, bob, alice]) {
        assert.equal(await publish(socket, "chat:a"), "ack");
      }
      assert.equal(await publish(bob, "chat:b"), "ack");
    }
    assert.deepEqual(asked, ["alice publish chat:a", "bob publish chat:a", "bob publish chat:b"]);
    clock.advance(999);
    assert.equal(await publish(alice, "chat:a"), "ack");
    assert.equal(asked.length, 3, "a decision expired before its ttlMs");
    clock.advance(1);
    assert.equal(await publish(alice, "chat:a"), "ack");
    assert.equal(await publish(bob, "chat:b"), "ack");
    assert.deepEqual(asked.slice(3), ["alice publish chat:a", "bob publish chat:b"]);
    await alice.close();
    await bob.close();
  },
);

eachTransport(
  "a rules update drops the cached publish decisions of the last publisher and of the others",
  async (t) => {
    await using h = await startTestHub(t, { acl: { rules: RULES } });
    const [alice] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "alice" })],
    });
    const [bob] = await connectWelcomed(h.url, {
      protocols: ["auth", await h.token({ sub: "bob" })],
    });
    let id = 0;
    const publish = async (socket: typeof alice) =>
      (await socket.request({ type: "publish", id: ++id, topic: "chat:a", payload: id })).code ??
        "ack";
    // Both decisions cached; alice published last.
    assert.deepEqual([await publish(bob), await publish(alice)], ["ack", "ack"]);
    await h.hub.updateRules([{ effect: "allow", actions: ["subscribe"], topics: ["chat:*"] }]);
    assert.deepEqual([await publish(alice), await publish(bob)], ["FORBIDDEN", "FORBIDDEN"]);
    await alice.close();
    await bob.close();
  },
);
