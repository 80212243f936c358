// The fan-out delivers a topic's joins and leaves to the subscribers that
// follow its presence, and to no other subscriber: a join into a room of n
// subscribers costs the followers, not n calls.

import assert from "node:assert/strict";
import { createMemoryEngine } from "../../src/engine/memory_engine.ts";
import type { PresenceEvent } from "../../src/engine/engine.ts";
import { createFanout, type FanoutSubscriber } from "../../src/hub/fanout.ts";
import { createHubMetrics } from "../../src/hub/metrics.ts";

class Recorder implements FanoutSubscriber {
  readonly events: string[] = [];
  send(): void {}
  deliver(): void {}
  takesThrough(): boolean {
    return false;
  }
  presence(event: PresenceEvent): void {
    this.events.push(`${event.type}:${event.entry.user}`);
  }
  lost(): void {}
}

Deno.test("joins and leaves reach the topic's followers only", async () => {
  const engine = createMemoryEngine();
  const fanout = createFanout<Recorder>({ engine, metrics: createHubMetrics(), log: () => {} });
  const follower = new Recorder();
  const others = Array.from({ length: 5 }, () => new Recorder());
  for (const s of [follower, ...others]) {
    await fanout.hold("room:1");
    fanout.add("room:1", s);
  }
  assert.equal(fanout.follow("room:1", follower), true);
  assert.equal(fanout.follow("room:1", follower), false);
  await engine.presenceAdd("room:1", { connection: "c1", user: "alice" });
  await engine.presenceRemove("room:1", "c1");
  // Another topic's presence reaches nobody here.
  await engine.presenceAdd("room:2", { connection: "c2", user: "bob" });
  assert.deepEqual(follower.events, ["join:alice", "leave:alice"]);
  for (const other of others) assert.deepEqual(other.events, []);
  fanout.unfollow("room:1", follower);
  await engine.presenceAdd("room:1", { connection: "c3", user: "carol" });
  assert.deepEqual(follower.events, ["join:alice", "leave:alice"]);
  await fanout.close();
  await engine.close();
});
