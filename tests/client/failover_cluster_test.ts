// RealtimeClient failing over between real hub processes (src/server/main.ts)
// on one real redis-server, over real sockets on 127.0.0.1: the hub a
// subscriber is on is SIGKILLed while two publishers keep publishing (one on
// the other hub, one that fails over too); the subscriber moves by itself and
// gets every message exactly once, in offset order. Every wait is on a
// client event with a deadline; the publishers are bounded in count.

import assert from "node:assert/strict";
import { mintToken } from "../../src/auth/mint.ts";
import {
  RealtimeClient,
  type RealtimeClientOptions,
  type RealtimeMessage,
  type StateChange,
  type SubscribedInfo,
} from "../../src/client/mod.ts";
import { CLUSTER_SECRET, startHubCluster } from "../_support/hub_cluster.ts";
import { startRedisServer } from "../_support/redis_server.ts";
import { next } from "./_helpers.ts";

const TOPIC = "chat:failover";
const ACL = { "chat:*": ["subscribe", "publish", "history"] };
/** Every hub's config: history that outlasts the test, and room for fast publishers. */
const CONFIG = {
  engine: { redis: { history: [{ pattern: "chat:*", size: 20_000, ttlMs: 300_000 }] } },
  limits: { messageRate: 10_000, messageBurst: 10_000 },
};
/** Most publishes per publisher: the loops end even if nothing else stops them. */
const MAX_PUBLISHES = 6_000;
/** Pause between a publisher's publishes: load shaping (about 150/s), not a wait. */
const PACE_MS = 5;
/** Messages the subscriber must get on each side of the move. */
const BEFORE = 50;
const AFTER = 100;
/** Deadline of each wait: generous, for a loaded machine. */
const WAIT_MS = 30_000;

function token(sub: string): Promise<string> {
  return mintToken({ sub, acl: ACL }, { secret: CLUSTER_SECRET }, { ttl: "10m" });
}

function client(url: RealtimeClientOptions["url"], jwt: string): RealtimeClient {
  return new RealtimeClient({ url, token: jwt, backoff: { baseMs: 100, maxMs: 1000 } });
}

interface Publication {
  p: string;
  n: number;
}

/** Publishes `{p, n}` one after the other until told to stop; records what was acked. */
function publisher(rt: RealtimeClient, p: string) {
  let stopped = false;
  const acked: number[] = [];
  const failed: string[] = [];
  const done = (async () => {
    for (let n = 0; n < MAX_PUBLISHES && !stopped; n++) {
      try {
        await rt.publish(TOPIC, { p, n } satisfies Publication);
        acked.push(n);
      } catch (error) {
        // Sent to the killed hub and never acked: it may or may not be in the stream.
        failed.push(`${n}: ${(error as { code?: string }).code}`);
      }
      await new Promise((resolve) => setTimeout(resolve, PACE_MS));
    }
  })();
  return {
    acked,
    failed,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

/** What a subscriber received, and waits on it: each checked on every message. */
function received() {
  const offsets: number[] = [];
  const payloads: Publication[] = [];
  const waiters = new Set<() => void>();
  return {
    offsets,
    payloads,
    handler(msg: RealtimeMessage<Publication>) {
      offsets.push(msg.offset!);
      payloads.push(msg.payload);
      for (const check of waiters) check();
    },
    /** Resolves once `holds()` is true after a message, or rejects after `WAIT_MS`. */
    until(what: string, holds: () => boolean): Promise<void> {
      if (holds()) return Promise.resolve();
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      const timer = setTimeout(
        () => reject(new Error(`Timed out waiting for ${what}: ${offsets.length} received`)),
        WAIT_MS,
      );
      const check = () => holds() && resolve();
      waiters.add(check);
      return promise.finally(() => {
        clearTimeout(timer);
        waiters.delete(check);
      });
    },
  };
}

Deno.test({
  name:
    "RealtimeClient with two hub URLs moves by itself when its hub is SIGKILLed and gets every message once, in order",
  async fn() {
    await using redis = await startRedisServer();
    await using cluster = await startHubCluster(2, { redisUrl: redis.url, config: CONFIG });
    const [a, b] = cluster.hubs;

    await using subscriber = client([a.url, b.url], await token("sub"));
    const got = received();
    const { offsets, payloads, until } = got;
    const subscribed: SubscribedInfo[] = [];
    const states: [string, StateChange][] = [];
    subscriber.on("subscribed", (info) => subscribed.push(info));
    subscriber.on("state", (state, change) => states.push([state, change]));
    await subscriber.subscribe<Publication>(TOPIC, got.handler).ready;
    assert.equal(subscriber.url, a.url);

    // One publisher on B only, one that starts on A and fails over too.
    await using onB = client(b.url, await token("p1"));
    await using both = client([a.url, b.url], await token("p2"));
    await Promise.all([onB.opened(), both.opened()]);
    const p1 = publisher(onB, "p1");
    const p2 = publisher(both, "p2");
    try {
      await until(`${BEFORE} messages on A`, () => offsets.length >= BEFORE);
      const movedToB = next(
        subscriber,
        "subscribed",
        (info) => info.resubscribed && subscriber.url === b.url,
        WAIT_MS,
      );
      await a.kill();
      const [info] = await movedToB;
      assert.equal(info.recovered, true, JSON.stringify(info));
      // Both publishers go on: the one that was on A too, once it moved.
      const atMove = offsets.length;
      await until(
        `${AFTER} messages after the move, some of them from p2`,
        () =>
          offsets.length >= atMove + AFTER &&
          payloads.slice(atMove).filter((m) => m.p === "p2").length >= AFTER / 5,
      );
    } finally {
      await Promise.all([p1.stop(), p2.stop()]);
    }

    // Everything published is in the topic's stream: wait for its last offset.
    const { position } = await onB.history(TOPIC, { limit: 0 });
    const last = position.offset;
    await until(`offset ${last}`, () => offsets.at(-1) === last);

    assert.deepEqual(
      offsets,
      Array.from({ length: last }, (_, i) => i + 1),
      "every offset once, in order",
    );
    const keys = payloads.map(({ p, n }) => `${p}:${n}`);
    assert.equal(new Set(keys).size, keys.length, "no publication twice");
    for (const [p, { acked }] of [["p1", p1], ["p2", p2]] as const) {
      const mine = payloads.filter((m) => m.p === p).map((m) => m.n);
      const arrived = new Set(mine);
      for (const n of acked) assert.ok(arrived.has(n), `acked ${p}:${n} arrived`);
      assert.deepEqual(mine, [...mine].sort((x, y) => x - y), `${p}'s order kept`);
    }
    assert.ok(p1.failed.length === 0, `the publisher on B lost nothing: ${p1.failed}`);
    // The client said where it was and went: open on A, reconnecting to B, open on B.
    assert.deepEqual(states.map(([state, { url }]) => `${state} ${url}`), [
      `open ${a.url}`,
      `reconnecting ${b.url}`,
      `open ${b.url}`,
    ]);
    assert.ok(
      subscribed.every((s) => !s.resubscribed || s.recovered === true),
      JSON.stringify(subscribed),
    );
    assert.equal(both.url, b.url, "the failing-over publisher moved too");
  },
});
