// The signed-publication replay window is shared by every hub of a Redis
// engine: a signed publication accepted on hub A and replayed on hub B is
// refused, across real hub processes on one real redis-server. Each hub
// alone would accept it (its own replay memory has never seen the `jti`).

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import { signPublication } from "../../src/signing/mod.ts";
import { connectWelcomed, type TestSocket } from "../_support/client.ts";
import { CLUSTER_SECRET, type HubProcess, startHubCluster } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";

const KEY = "a publication secret of at least 32 bytes!";
const RULES = [
  { effect: "allow", actions: ["subscribe"], topics: ["prices:*"] },
  { effect: "allow", actions: ["publish"], topics: ["prices:*"], signed: { keys: KEY } },
];

async function connect(hub: HubProcess, sub: string): Promise<TestSocket> {
  const jwt = await mintToken({ sub }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
  const [socket] = await connectWelcomed(hub.url, { protocols: ["auth", jwt] });
  return socket;
}

Deno.test({
  name: "a signed publication accepted on hub A is refused as replayed on hub B",
  async fn() {
    await using redis = await startRedisServer();
    await using hubs = await startHubCluster(2, {
      redisUrl: redis.url,
      config: { acl: { rules: RULES } },
    });
    const [a, b] = hubs.hubs;
    const onA = await connect(a, "feed");
    const onB = await connect(b, "feed");
    try {
      const jws = await signPublication("prices:eur", { bid: 1.08 }, KEY);
      const first = await onA.request({ type: "publish", id: 1, topic: "prices:eur", jws });
      assert.equal(first.type, "ack", JSON.stringify(first));
      const replayed = await onB.request({ type: "publish", id: 2, topic: "prices:eur", jws });
      assert.deepEqual([replayed.type, replayed.code], ["error", "SIGNATURE_REPLAYED"]);
      // And on hub A itself, as before.
      const again = await onA.request({ type: "publish", id: 3, topic: "prices:eur", jws });
      assert.deepEqual([again.type, again.code], ["error", "SIGNATURE_REPLAYED"]);
      // A fresh one is accepted on hub B.
      const fresh = await signPublication("prices:eur", { bid: 1.09 }, KEY);
      const ok = await onB.request({ type: "publish", id: 4, topic: "prices:eur", jws: fresh });
      assert.equal(ok.type, "ack", JSON.stringify(ok));
    } finally {
      onA.close();
      onB.close();
    }
  },
});
