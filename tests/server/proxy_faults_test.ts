// Proxy faults, every kind of call against every way a backend fails, with a
// real hub process and a real HTTP backend (Deno.serve on 127.0.0.1): slow
// beyond the time limit, garbage, HTTP 500, and down. Each client gets its
// documented code within the limit plus a margin; another user's traffic on
// another topic goes on, measured while the faults run; the hub stays
// healthy; its descriptors and memory come back.

import assert from "node:assert/strict";
import { connectWelcomed, type TestSocket, withTimeout } from "../_support/client.ts";
import { CLUSTER_SECRET, type HubProcess, startHubProcess } from "../_support/hub_cluster.ts";
import { freePort } from "../_support/fastapi.ts";
import { rawRequest } from "../_support/raw_http.ts";
import { mintToken } from "../../src/auth/mint.ts";

const PROXY_SECRET = "proxy-secret-of-at-least-32-bytes!!";
const LIMIT_MS = 500;
/** What a client may wait beyond a proxy's time limit for its answer. */
const MARGIN_MS = 1000;
const MODES = ["slow", "garbage", "500"] as const;
const ROUNDS = 3;
const MEMORY_ROUNDS = 6;

/**
 * The backend: a call for `fault:<mode>` (topic), `fault.<mode>` (method) or
 * with the cookie `mode=<mode>` misbehaves so; anything else is allowed.
 */
function startBackend() {
  let slowOpen = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const body = await req.json().catch(() => ({}));
    const target = `${body.topic ?? body.method ?? ""} ${req.headers.get("cookie") ?? ""}`;
    const mode = /fault[:.](\w+)|mode=(\w+)/.exec(target)?.slice(1).find((m) => m !== undefined);
    const path = new URL(req.url).pathname;
    if (mode === "slow") {
      // Answers when the hub gives up (or after 5 s): no timer outlives the test.
      slowOpen++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        req.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), {
          once: true,
        });
      });
      slowOpen--;
      return Response.json({});
    }
    if (mode === "garbage") return new Response("<html>not json</html>");
    if (mode === "500") return Response.json({ detail: "boom" }, { status: 500 });
    if (path === "/connect") return Response.json({});
    if (path === "/rpc") return Response.json({ result: { data: "ok" } });
    return Response.json({});
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    get slowOpen() {
      return slowOpen;
    },
    close: () => server.shutdown(),
  };
}

function config(url: string) {
  return {
    // Bob publishes back to back while the faults run: above the default frame rate.
    limits: { messageRate: 5000, messageBurst: 5000 },
    proxy: {
      secret: PROXY_SECRET,
      connect: { url: `${url}/connect`, timeoutMs: LIMIT_MS },
      subscribe: { url: `${url}/subscribe`, timeoutMs: LIMIT_MS },
      publish: { url: `${url}/publish`, timeoutMs: LIMIT_MS },
      rpc: [{ methods: ["*"], url: `${url}/rpc`, timeoutMs: LIMIT_MS }],
    },
  };
}

async function join(hub: HubProcess, sub: string): Promise<TestSocket> {
  const token = await mintToken(
    { sub, acl: { "fault:*": ["subscribe", "publish"], "calm:*": ["subscribe", "publish"] } },
    { secret: CLUSTER_SECRET },
    { ttl: "1h" },
  );
  const [socket] = await connectWelcomed(`${hub.url}?token=${token}`, {
    protocols: ["realtime.v1"],
  });
  return socket;
}

/** Open descriptors of a process (Linux). */
function descriptors(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** Resident memory of a process in MiB (Linux). */
function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
  return Number(kib) / 1024;
}

/** An upgrade with a cookie, as raw HTTP: its status and the code in its body. */
async function upgrade(hub: HubProcess, cookie: string): Promise<[number, string | undefined]> {
  const [status, body] = await rawRequest(hub.port, "GET", "/ws", {
    host: `127.0.0.1:${hub.port}`,
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    "sec-websocket-protocol": "realtime.v1",
    cookie,
  });
  return [status, status === 101 ? undefined : JSON.parse(body).code];
}

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  return [await work, performance.now() - started];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

let n = 0;

/** One call of every kind in every failure mode: each gets its code within the limit plus the margin. */
async function faultRound(hub: HubProcess, alice: TestSocket): Promise<void> {
  for (const mode of MODES) {
    const expected = mode === "slow" ? "TIMEOUT" : "INTERNAL";
    const topic = `fault:${mode}`;
    const requests = [
      { type: "subscribe", topic },
      { type: "publish", topic, payload: { n } },
      { type: "rpc", method: `fault.${mode}`, data: null },
    ];
    for (const request of requests) {
      const [answer, ms] = await timed(alice.request({ ...request, id: `a${n++}` }, 5000));
      assert.deepEqual(
        [answer.type, answer.code, answer.retry],
        ["error", expected, true],
        `${request.type} ${mode}`,
      );
      assert.ok(ms < LIMIT_MS + MARGIN_MS, `${request.type} ${mode} answered after ${ms} ms`);
    }
    const [[status, code], ms] = await timed(upgrade(hub, `mode=${mode}`));
    assert.deepEqual([status, code], [500, "INTERNAL"], `connect ${mode}`);
    assert.ok(ms < LIMIT_MS + MARGIN_MS, `connect ${mode} answered after ${ms} ms`);
  }
}

Deno.test("proxy faults: slow, garbage and 500 on every call give their codes in time; others unaffected; nothing leaks", async () => {
  const backend = startBackend();
  try {
    await using hub = await startHubProcess({ config: config(backend.url) });
    const alice = await join(hub, "alice");
    const bob = await join(hub, "bob");
    const carl = await join(hub, "carl");
    try {
      assert.equal(
        (await carl.request({ type: "subscribe", id: 1, topic: "calm:room" })).type,
        "ack",
      );
      // Warm up the hub's pool to the backend before the baseline.
      for (let i = 0; i < 3; i++) {
        await bob.request({ type: "publish", id: `w${i}`, topic: "calm:room", payload: i });
        await carl.next((f) => f.type === "message" && f.payload === i);
      }
      const fds = descriptors(hub.pid);

      // Bob publishes on calm:room and carl receives while the faults run (at most 1000).
      let faulting = true;
      const bobMs: number[] = [];
      const bobTraffic = (async () => {
        for (let i = 0; faulting && i < 1000; i++) {
          const [ack, ms] = await timed(
            bob.request({ type: "publish", id: `b${i}`, topic: "calm:room", payload: `n${i}` }),
          );
          assert.equal(ack.type, "ack");
          await carl.next((f) => f.type === "message" && f.payload === `n${i}`);
          bobMs.push(ms);
        }
      })();
      // Its failure is reported where it is awaited, below.
      bobTraffic.catch(() => {});

      for (let round = 0; round < ROUNDS; round++) await faultRound(hub, alice);
      faulting = false;
      await withTimeout(bobTraffic, 10_000, "bob's traffic");

      // Bob's publications never waited for alice's slow backend.
      assert.ok(bobMs.length >= 10, `bob published only ${bobMs.length} times`);
      const p50 = percentile(bobMs, 0.5);
      const p99 = percentile(bobMs, 0.99);
      console.log(
        `bob during the faults: ${bobMs.length} publications delivered, ack p50 ${
          p50.toFixed(1)
        } ms, p99 ${p99.toFixed(1)} ms`,
      );
      assert.ok(p99 < LIMIT_MS, `bob's p99 ${p99} ms reached the slow backend's limit`);

      // Healthy: alice's connection works, /healthz answers, a calm call passes.
      assert.equal((await alice.request({ type: "ping", id: "p" })).type, "pong");
      assert.equal((await alice.request({ type: "rpc", id: "r", method: "calm" })).data, "ok");
      assert.equal((await hub.health()).status, 200);
      // The slow calls were aborted: the backend holds none of them open.
      await withTimeout(
        (async () => {
          while (backend.slowOpen > 0) await new Promise((r) => setTimeout(r, 20));
        })(),
        5000,
        "the slow calls to end",
      );
      // Descriptors back (a pooled keep-alive connection to the backend may come or go).
      const fdsAfter = descriptors(hub.pid);
      assert.ok(fdsAfter <= fds + 2, `descriptors ${fds} -> ${fdsAfter}`);
      // Memory: the hub warmed up by the rounds above, more rounds of faults
      // alone leave its resident size where it was, within what the
      // allocator and JIT move on their own (a leak grows with the rounds).
      const rss = rssMiB(hub.pid);
      for (let round = 0; round < MEMORY_ROUNDS; round++) await faultRound(hub, alice);
      const rssAfter = rssMiB(hub.pid);
      console.log(
        `hub memory over ${MEMORY_ROUNDS} more rounds: ${rss.toFixed(1)} -> ${
          rssAfter.toFixed(1)
        } MiB`,
      );
      assert.ok(rssAfter < rss + 8, `memory ${rss} -> ${rssAfter} MiB`);
      assert.ok(descriptors(hub.pid) <= fds + 2, "descriptors after the memory rounds");
    } finally {
      await Promise.all([alice.close(), bob.close(), carl.close()].map((p) => p.catch(() => {})));
    }
  } finally {
    await backend.close();
  }
});

Deno.test("proxy faults: the backend down fails every call closed with INTERNAL in time", async () => {
  const down = `http://127.0.0.1:${freePort()}`;
  await using hub = await startHubProcess({ config: config(down) });
  const alice = await join(hub, "alice").catch(() => undefined);
  // The connect proxy is down: a token's upgrade is refused too (fail closed).
  assert.equal(alice, undefined);
  const [[status, code], ms] = await timed(upgrade(hub, "session=x"));
  assert.deepEqual([status, code], [500, "INTERNAL"]);
  assert.ok(ms < LIMIT_MS + MARGIN_MS, `connect answered after ${ms} ms`);
  assert.equal((await hub.health()).status, 200);
});
