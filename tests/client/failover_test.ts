// Failover across a list of hub URLs: the rotation of the reconnect schedule
// by table (manual clock, injected random), then RealtimeClient moving
// between real in-process hubs on 127.0.0.1. The same across hub processes
// sharing one Redis, with recovery, is in failover_cluster_test.ts.

import assert from "node:assert/strict";
import { nextUrlIndex, ReconnectSchedule } from "../../src/client/_reconnect.ts";
import {
  RealtimeClient,
  type RealtimeClientOptions,
  type StateChange,
} from "../../src/client/mod.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { CHAT_ACL, collect, next, startRestartableHub } from "./_helpers.ts";

Deno.test("nextUrlIndex moves to the next URL and wraps after the last", () => {
  const table: [index: number, count: number, expected: number][] = [
    [0, 1, 0],
    [0, 2, 1],
    [1, 2, 0],
    [0, 3, 1],
    [1, 3, 2],
    [2, 3, 0],
  ];
  for (const [index, count, expected] of table) {
    assert.equal(nextUrlIndex(index, count), expected, `${index} of ${count}`);
  }
});

/**
 * What happens to the client, as the schedule sees it:
 * - `drop`: the hub failed (an attempt, or an open connection): move on, back off;
 * - `token`: the hub refused the token (4001): a new one at once, same hub;
 * - `wait`: getToken could not answer: back off, same hub;
 * - `open`: an attempt succeeded.
 */
type Step = "drop" | "token" | "wait" | "open";

interface Case {
  name: string;
  urls: number;
  /** Values the random source returns in turn, cycling. */
  random: number[];
  steps: Step[];
  /** Per attempt: `host+delay` where host is the URL the attempt went to; `open host`. */
  expected: string[];
  maxAttempts?: number;
}

const CASES: Case[] = [
  {
    name: "one URL: every retry goes back to it",
    urls: 1,
    random: [0.5],
    steps: ["drop", "drop", "open", "drop"],
    expected: ["a+50", "a+100", "open a", "a+50"],
  },
  {
    name: "two URLs: a drop moves to the other, and back after the next drop",
    urls: 2,
    random: [0.5],
    steps: ["open", "drop", "open", "drop", "open"],
    expected: ["open a", "b+50", "open b", "a+50", "open a"],
  },
  {
    name: "all down: the list wraps and the back-off grows across it",
    urls: 3,
    random: [0.5],
    steps: ["drop", "drop", "drop", "drop", "drop"],
    expected: ["b+50", "c+100", "a+200", "b+250", "c+250"],
  },
  {
    name: "a refused token is renewed on the same hub, at once",
    urls: 2,
    random: [0.5],
    steps: ["open", "token", "open", "drop", "token"],
    expected: ["open a", "a+0", "open a", "b+50", "b+0"],
  },
  {
    name: "getToken failing is no reason to leave the hub",
    urls: 2,
    random: [0.5],
    steps: ["wait", "wait", "drop", "open"],
    expected: ["a+50", "a+100", "b+200", "open b"],
  },
  {
    name: "full jitter: each delay is the random share of its ceiling",
    urls: 2,
    random: [0, 0.99, 0.25],
    steps: ["drop", "drop", "drop", "drop"],
    expected: ["b+0", "a+198", "b+100", "a+0"],
  },
];

for (const c of CASES) {
  Deno.test(`ReconnectSchedule rotation: ${c.name}`, () => {
    const clock = new ManualClock();
    let draw = 0;
    const urls = ["a", "b", "c"].slice(0, c.urls).map((h) => new URL(`ws://${h}.test/ws`));
    const schedule = new ReconnectSchedule({
      clock,
      backoff: { baseMs: 100, maxMs: 500 },
      random: () => c.random[draw++ % c.random.length],
      maxReconnectAttempts: c.maxAttempts ?? Infinity,
      urls,
    });
    const trace: string[] = [];
    for (const step of c.steps) {
      if (step === "open") {
        schedule.reset();
        trace.push(`open ${schedule.url.hostname[0]}`);
        continue;
      }
      if (step === "drop") schedule.moveOn();
      let reached: string | undefined;
      const { retryInMs, url } = schedule.schedule(
        () => reached = schedule.url.hostname[0],
        step === "token" ? 0 : undefined,
      );
      assert.equal(url, schedule.url, "the attempt goes where the schedule says");
      if (retryInMs > 0) {
        clock.advance(retryInMs - 1);
        assert.equal(reached, undefined, "not before its delay");
      }
      clock.advance(retryInMs > 0 ? 1 : 0);
      trace.push(`${reached}+${retryInMs}`);
    }
    assert.deepEqual(trace, c.expected);
    assert.equal(clock.pendingTimers, 0);
  });
}

Deno.test("ReconnectSchedule counts attempts across every URL toward maxReconnectAttempts", () => {
  const schedule = new ReconnectSchedule({
    clock: new ManualClock(),
    backoff: { baseMs: 100, maxMs: 500 },
    random: () => 0,
    maxReconnectAttempts: 3,
    urls: [new URL("ws://a.test/ws"), new URL("ws://b.test/ws")],
  });
  const seen: string[] = [];
  while (!schedule.exhausted) {
    seen.push(schedule.moveOn().hostname);
    schedule.schedule(() => {});
    schedule.cancel();
  }
  assert.deepEqual(seen, ["b.test", "a.test", "b.test"]);
  assert.throws(
    () =>
      new ReconnectSchedule({
        clock: new ManualClock(),
        backoff: {},
        random: Math.random,
        maxReconnectAttempts: 1,
        urls: [],
      }),
    { name: "TypeError", message: "Cannot reconnect without a hub URL" },
  );
});

Deno.test("RealtimeClient reads a list of URLs and refuses an empty or bad one", async () => {
  const opened: string[] = [];
  class Recording extends EventTarget {
    readyState = 0;
    constructor(url: string) {
      super();
      opened.push(url);
    }
    send() {}
    close(code: number) {
      this.readyState = 3;
      this.dispatchEvent(new CloseEvent("close", { code }));
    }
  }
  const WebSocket = Recording as unknown as RealtimeClientOptions["WebSocket"];
  const rt = new RealtimeClient({
    url: ["https://b.test/ws", new URL("ws://a.test/ws")],
    token: "a.b.c",
    WebSocket,
  });
  assert.equal(rt.url, "wss://b.test/ws", "http(s) read as ws(s); the first URL first");
  await Promise.resolve(); // the token is read asynchronously
  await rt.close();
  assert.deepEqual(opened, ["wss://b.test/ws"]);
  const table: [RealtimeClientOptions["url"], string][] = [
    [[], "Cannot create RealtimeClient with an empty 'url' list: give at least one"],
    [
      ["ws://a.test/ws", "nope"],
      "Cannot connect to 'nope': it is not an absolute URL",
    ],
    [
      ["ws://a.test/ws", "ftp://b.test"],
      "Cannot connect to a 'ftp:' URL: use ws:, wss:, http: or https:",
    ],
  ];
  for (const [url, message] of table) {
    assert.throws(() => new RealtimeClient({ url, token: "t", WebSocket }), {
      name: "TypeError",
      message,
    });
  }
});

/** A URL nothing listens on: a hub that is down. */
function downUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return `ws://127.0.0.1:${port}/ws`;
}

const FAST = { baseMs: 20, maxMs: 200 };

eachTransport(
  "RealtimeClient moves to the next hub when its hub drops, resubscribes there and says where it is",
  async (t) => {
    await using a = await startRestartableHub(t);
    await using b = await startRestartableHub(t);
    const token = await a.token({ sub: "alice", acl: CHAT_ACL });
    await using rt = new RealtimeClient({ url: [a.url, b.url], token, backoff: FAST });
    const received = collect(rt, "chat:lobby", 2, 10_000);
    await received.ready;
    assert.equal(rt.url, a.url);
    const changes: [string, StateChange][] = [];
    rt.on("state", (state, change) => changes.push([state, change]));

    const onB = next(rt, "state", (s) => s === "open", 10_000);
    await a.stop({ graceful: false });
    const [, opened] = await onB;
    assert.equal(opened.url, b.url);
    assert.equal(rt.url, b.url);
    assert.deepEqual(changes[0][0], "reconnecting");
    assert.equal(changes[0][1].url, b.url, "the reconnecting event names the next hub");
    // B never saw this client before: a delivery proves the resubscribe there.
    await using other = new RealtimeClient({ url: b.url, token, backoff: FAST });
    await other.publish("chat:lobby", "on b");

    // B goes too: the list wraps around to A, once A is back.
    const wrapped = next(rt, "state", (s, c) => s === "reconnecting" && c.url === a.url, 10_000);
    await b.stop({ graceful: true });
    await wrapped;
    const onA = next(rt, "state", (s) => s === "open", 10_000);
    await a.start();
    const [, back] = await onA;
    assert.equal(back.url, a.url);
    await using third = new RealtimeClient({ url: a.url, token, backoff: FAST });
    await third.publish("chat:lobby", "on a");
    assert.deepEqual(await received.messages, ["on b", "on a"]);
  },
);

Deno.test("RealtimeClient tries the URLs in order until one hub answers", async () => {
  await using hub = await startTestHub("ws");
  const token = await hub.token({ sub: "alice" });
  const [down1, down2] = [downUrl(), downUrl()];
  await using rt = new RealtimeClient({
    url: [down1, down2, hub.url],
    token,
    backoff: FAST,
    random: () => 0.5,
  });
  const tries: [string | undefined, number | undefined, number | undefined][] = [];
  rt.on("state", (state, change) => {
    if (state === "reconnecting") tries.push([change.url, change.attempt, change.retryInMs]);
  });
  await next(rt, "state", (s) => s === "open", 10_000);
  assert.deepEqual(tries, [[down2, 0, 10], [hub.url, 1, 20]]);
  assert.equal(rt.url, hub.url);
});

eachTransport("RealtimeClient renews a refused token on the same hub (4001)", async (t) => {
  const clock = new ManualClock();
  await using h = await startTestHub(t, { clock, tokenExpiringLeadMs: 1 });
  const mint = () => h.token({ sub: "alice", acl: CHAT_ACL }, { ttl: 60, now: clock.now });
  // The refresh fails, so the hub closes at exp with 4001; the token after it is good.
  const answers = [mint, () => Promise.reject(new Error("auth service down")), mint];
  let calls = 0;
  // A hub that is down comes next in the list: moving on would not reconnect.
  await using rt = new RealtimeClient({
    url: [h.url, downUrl()],
    getToken: () => answers[calls++](),
    clock,
    heartbeatMs: 0,
  });
  await rt.opened();
  const refreshFailed = next(rt, "error");
  clock.advance(59_999); // token_expiring
  await refreshFailed;
  const reconnecting = next(rt, "state", (s) => s === "reconnecting");
  clock.advance(1_001); // exp: TOKEN_EXPIRED and 4001
  const [, change] = await reconnecting;
  assert.deepEqual([change.url, change.retryInMs], [h.url, 0]);
  const reopened = next(rt, "state", (s) => s === "open");
  clock.advance(0);
  const [, opened] = await reopened;
  assert.equal(opened.url, h.url);
  assert.equal(calls, 3);
});
