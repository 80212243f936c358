// How the Redis engine manages its one subscriber connection: channels
// subscribed on first use and unsubscribed shortly after the last local
// subscriber leaves (on the injected clock), and a missed heartbeat forcing a
// reconnect that is reported to the subscriptions.

import assert from "node:assert/strict";
import {
  createRedisEngine,
  type RedisEngineLogEntry,
} from "../../src/engine/redis/redis_engine.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { Listen, pub } from "./_redis_listen.ts";

Deno.test("createRedisEngine unsubscribes a channel only after the delay, and not when a subscriber came back", async () => {
  await using server = await startRedisServer();
  const clock = new ManualClock();
  await using engine = await createRedisEngine({ url: server.url, clock, log: () => {} });
  const numsub = async (topic: string) =>
    Number((await server.cli("PUBSUB", "NUMSUB", `rt:t:${topic}`)).split("\n")[1]);

  const first = await engine.subscribe("chat:a", new Listen());
  const patterned = await engine.subscribe("chat:*", new Listen());
  assert.equal(await numsub("chat:a"), 1);
  await first.unsubscribe();
  await patterned.unsubscribe();
  assert.equal(await numsub("chat:a"), 1, "kept during the delay");
  assert.equal(await server.cli("PUBSUB", "NUMPAT"), "1");
  const back = new Listen();
  await engine.subscribe("chat:a", back); // back before the delay ran out
  clock.advance(1000);
  assert.equal(await numsub("chat:a"), 1, "still wanted: not unsubscribed");
  await engine.publish("chat:a", pub("1"));
  await back.until(() => back.deliveries.length === 1, "delivery");

  await engine.subscribe("chat:b", new Listen()).then((s) => s.unsubscribe());
  clock.advance(999);
  assert.equal(await numsub("chat:b"), 1);
  clock.advance(1);
  // A later command on the same connection proves the UNSUBSCRIBE was handled.
  await engine.subscribe("chat:c", new Listen());
  assert.equal(await numsub("chat:b"), 0, "unsubscribed after the delay");
  assert.equal(await server.cli("PUBSUB", "NUMPAT"), "0", "the pattern too");
});

Deno.test("createRedisEngine reconnects its subscriber after a missed heartbeat and reports it", async () => {
  await using server = await startRedisServer();
  const missed = Promise.withResolvers<void>();
  const logs: RedisEngineLogEntry[] = [];
  await using engine = await createRedisEngine({
    url: server.url,
    heartbeatMs: 100,
    commandTimeoutMs: 500,
    log: (entry) => {
      logs.push(entry);
      if (entry.event === "heartbeat_missed") missed.resolve();
    },
  });
  const listen = new Listen();
  await engine.subscribe("chat:a", listen);
  server.pause(); // the host hangs: sockets open, no answers
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      missed.promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("No missed heartbeat in 3 s")), 3000);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    server.resume();
  }
  await listen.until(() => listen.lost.some((l) => l.reason === "reconnect"), "reconnect", 5000);
  await engine.publish("chat:a", pub("after"));
  await listen.until(() => listen.datas.includes("after"), "delivery after the reconnect");
});

Deno.test("createRedisEngine reports no false gap to a subscriber that comes back while the channel lingers", async () => {
  await using server = await startRedisServer();
  const clock = new ManualClock();
  const history = [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }];
  await using engine = await createRedisEngine({ url: server.url, history, clock, log: () => {} });
  for (const name of ["chat:a", "chat:*"]) {
    const before = new Listen();
    const subscription = await engine.subscribe(name, before);
    await engine.publish("chat:a", pub("1"));
    await before.until(() => before.deliveries.length === 1, "first delivery");
    await subscription.unsubscribe(); // the channel lingers, subscribed, for 1 s
    await engine.publish("chat:a", pub("2")); // nobody here wants it
    const after = new Listen();
    await engine.subscribe(name, after);
    await engine.publish("chat:a", pub("3"));
    // "2" may still be on its way and reach the new subscriber too: no harm.
    await after.until(() => after.datas.includes("3"), "delivery to the new subscriber");
    assert.deepEqual(after.lost, [], `${name}: a new subscriber has missed nothing`);
  }
});

Deno.test("createRedisEngine holds no channel after many topics came and went", async () => {
  await using server = await startRedisServer();
  const clock = new ManualClock();
  await using engine = await createRedisEngine({ url: server.url, clock, log: () => {} });
  for (let round = 0; round < 5; round++) {
    const subscriptions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => engine.subscribe(`t:${round}:${i}`, new Listen())),
    );
    const pattern = await engine.subscribe(`t:${round}:*`, new Listen());
    await Promise.all([...subscriptions, pattern].map((s) => s.unsubscribe()));
    clock.advance(1000);
  }
  await engine.subscribe("sync:now", new Listen()); // after every UNSUBSCRIBE on the connection
  const channels = (await server.cli("PUBSUB", "CHANNELS", "rt:t:*")).split("\n");
  assert.deepEqual(channels, ["rt:t:sync:now"]);
  assert.equal(await server.cli("PUBSUB", "NUMPAT"), "0");
});
