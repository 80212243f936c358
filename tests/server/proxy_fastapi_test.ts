// The HTTP proxies of the standalone server against the real FastAPI example
// (examples/fastapi) under uvicorn, with a real hub process, on both
// transports: admission by the application's session cookie (no JWT),
// moderation that reaches subscribers and history, a refusal that keeps the
// connection, RPC from a socket, RealtimeClient and realtime-cli, and the
// backend down, slow, answering garbage or 500.

import assert from "node:assert/strict";
import { connectWelcomed, type TestSocket, withTimeout } from "../_support/client.ts";
import { CLUSTER_SECRET, startHubProcess } from "../_support/hub_cluster.ts";
import { type FastApiBackend, freePort, hasFastApi, startFastApi } from "../_support/fastapi.ts";
import { rawRequest } from "../_support/raw_http.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { RealtimeClient } from "../../src/client/mod.ts";
import { baseEnv, runCli } from "../cli/_cli.ts";

const PROXY_SECRET = "proxy-secret-of-at-least-32-bytes!!";
const SLOW_LIMIT_MS = 500;
const ADMIN_KEY = "an-admin-key-of-24-chars";
/** What a client may wait beyond a proxy's time limit for its answer. */
const MARGIN_MS = 1000;

function proxyConfig(backend: string, down: string) {
  return {
    history: [{ pattern: "chat:*", size: 100, ttlMs: 60_000 }],
    firstMessageTimeoutMs: 1000,
    proxy: {
      secret: PROXY_SECRET,
      connect: { url: `${backend}/realtime/connect`, timeoutMs: 2000 },
      subscribe: { url: `${backend}/realtime/subscribe` },
      publish: { url: `${backend}/realtime/publish`, timeoutMs: 2000 },
      rpc: [
        { methods: ["chat.*", "whoami"], url: `${backend}/realtime/rpc` },
        { methods: ["faulty.slow"], url: `${backend}/faulty/slow`, timeoutMs: SLOW_LIMIT_MS },
        { methods: ["faulty.garbage"], url: `${backend}/faulty/garbage` },
        { methods: ["faulty.500"], url: `${backend}/faulty/500` },
        { methods: ["down.*"], url: `${down}/realtime/rpc`, timeoutMs: SLOW_LIMIT_MS },
      ],
    },
  };
}

/** Logs `user` in to the application and returns its `Cookie` header. */
async function login(backend: FastApiBackend, user: string): Promise<string> {
  const res = await fetch(`${backend.url}/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user }),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const cookie = res.headers.getSetCookie()[0];
  assert.ok(cookie?.startsWith("session="), cookie);
  return cookie.split(";")[0];
}

async function joinByCookie(url: string, cookie: string): Promise<TestSocket> {
  const [socket] = await connectWelcomed(url, {
    protocols: ["realtime.v1"],
    headers: { cookie },
  });
  return socket;
}

/** Open descriptors of a process (Linux). */
function descriptors(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work;
  return [value, performance.now() - started];
}

for (const transport of ["ws", "deno"] as const) {
  Deno.test({
    name:
      `proxies to the FastAPI example admit by cookie, moderate, answer RPC and fail closed (${transport})`,
    ignore: !hasFastApi(),
    async fn(t) {
      await using backend = await startFastApi(PROXY_SECRET);
      const down = `http://127.0.0.1:${freePort()}`;
      await using hub = await startHubProcess({
        transport,
        env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
        config: proxyConfig(backend.url, down),
      });

      const alice = await joinByCookie(hub.url, await login(backend, "alice"));
      const bob = await joinByCookie(hub.url, await login(backend, "bob"));
      try {
        await t.step(
          "a cookie session is admitted through the connect proxy, with no JWT",
          async () => {
            const who = await alice.request({ type: "rpc", id: "w", method: "whoami" });
            assert.equal(who.type, "rpc");
            assert.equal(who.data.user, "alice");
            assert.equal(who.data.claims.name, "Alice");
            // The backend's ACL is the connection's: chat:* only.
            const denied = await alice.request({ type: "subscribe", id: "d", topic: "admin:x" });
            assert.equal(denied.code, "FORBIDDEN");
          },
        );

        await t.step(
          "the connect proxy's server-side subscription delivers the user's inbox without a subscribe",
          async () => {
            const res = await fetch(`${hub.http}/v1/realtime/broadcast`, {
              method: "POST",
              headers: {
                authorization: `Bearer ${ADMIN_KEY}`,
                "content-type": "application/json",
              },
              body: JSON.stringify({ topic: "user:alice", payload: { note: "for alice" } }),
            });
            assert.equal(res.status, 200, await res.text());
            const inbox = await alice.next((f) => f.type === "message" && f.topic === "user:alice");
            assert.deepEqual(inbox.payload, { note: "for alice" });
            // Bob's inbox is his own: alice's message never reaches him.
            const other = await bob.request({ type: "ping", id: "p" });
            assert.equal(other.type, "pong");
            assert.ok(!bob.pending.some((f) => f.topic === "user:alice"));
          },
        );

        await t.step(
          "no session and no token: the proxy passes, no auth frame comes, closed with 4001",
          async () => {
            const socket = new (await import("../_support/client.ts")).TestSocket(hub.url, {
              protocols: ["realtime.v1"],
            });
            const closed = await withTimeout(socket.closed, 1000 + MARGIN_MS, "close");
            assert.equal(closed.code, 4001);
          },
        );

        await t.step(
          "a moderated publication arrives transformed at subscribers and in history",
          async () => {
            // The subscribe proxy answers with initial data, or refuses.
            const joined = await bob.request({ type: "subscribe", id: 1, topic: "chat:room" });
            assert.deepEqual([joined.type, joined.data], ["ack", { stored: 0 }]);
            const staff = await bob.request({ type: "subscribe", id: 0, topic: "chat:staff" });
            assert.deepEqual([staff.code, staff.message], ["FORBIDDEN", "Staff only"]);
            const ack = await alice.request({
              type: "publish",
              id: 1,
              topic: "chat:room",
              payload: { text: "oh darn it" },
            });
            assert.equal(ack.type, "ack", JSON.stringify(ack));
            const message = await bob.next((f) => f.type === "message" && f.topic === "chat:room");
            assert.equal(message.payload.text, "oh **** it");
            assert.equal(message.payload.user, "alice");
            assert.equal(typeof message.payload.id, "number");
            const history = await bob.request({ type: "history", id: 2, topic: "chat:room" });
            assert.deepEqual(
              history.publications.map((p: { payload: { text: string } }) => p.payload.text),
              ["oh **** it"],
            );
          },
        );

        await t.step(
          "a refused publication gets the backend's code and the connection stays",
          async () => {
            const refused = await alice.request({
              type: "publish",
              id: 3,
              topic: "chat:room",
              payload: { text: "buy SPAM now" },
            });
            assert.deepEqual([refused.type, refused.code, refused.message, refused.retry], [
              "error",
              "FORBIDDEN",
              "Spam is not allowed",
              false,
            ]);
            assert.equal((await alice.request({ type: "ping", id: "p" })).type, "pong");
            const history = await bob.request({ type: "history", id: 4, topic: "chat:room" });
            assert.equal(history.publications.length, 1);
          },
        );

        await t.step(
          "RPC round trips: a socket, RealtimeClient (with a JWT) and realtime-cli",
          async () => {
            const count = await alice.request({
              type: "rpc",
              id: "c",
              method: "chat.count",
              data: { topic: "chat:room" },
            });
            assert.deepEqual(count.data, { count: 1 });
            const unknown = await alice.request({ type: "rpc", id: "u", method: "chat.nope" });
            assert.deepEqual([unknown.code, unknown.message], [
              "BAD_REQUEST",
              "Unknown method 'chat.nope'",
            ]);
            const token = await mintToken({ sub: "carol" }, { secret: CLUSTER_SECRET });
            await using rt = new RealtimeClient({ url: hub.url, token });
            assert.deepEqual(await rt.rpc("chat.count", { topic: "chat:room" }), { count: 1 });
            assert.equal(((await rt.rpc("whoami")) as { user: string }).user, "carol");
            const env = baseEnv({ REALTIME_URL: hub.url, REALTIME_TOKEN: token });
            const cli = await runCli(["rpc", "chat.count", '{"topic":"chat:room"}'], { env });
            assert.equal(cli.code, 0, cli.stderr);
            assert.deepEqual(JSON.parse(cli.stdout), { count: 1 });
          },
        );

        await t.step(
          "faults: slow, garbage, 500 and down give their codes in time; others unaffected",
          async () => {
            await bob.request({ type: "subscribe", id: 5, topic: "chat:other" });
            const fdsBefore = descriptors(hub.pid);
            // While alice waits on a slow backend, bob's own traffic flows.
            const slow = timed(alice.request({ type: "rpc", id: "s", method: "faulty.slow" }));
            const [, bobMs] = await timed((async () => {
              for (let i = 0; i < 5; i++) {
                const ack = await bob.request({
                  type: "publish",
                  id: `b${i}`,
                  topic: "chat:other",
                  payload: { text: `hi ${i}` },
                });
                assert.equal(ack.type, "ack");
              }
            })());
            const [slowAnswer, slowMs] = await slow;
            assert.deepEqual([slowAnswer.code, slowAnswer.retry], ["TIMEOUT", true]);
            assert.ok(slowMs < SLOW_LIMIT_MS + MARGIN_MS, `TIMEOUT after ${slowMs} ms`);
            assert.ok(bobMs < SLOW_LIMIT_MS + MARGIN_MS, `bob's 5 publications took ${bobMs} ms`);
            // Ten rounds, so a descriptor or a slot lost per failed call would show.
            const faults = Array.from(
              { length: 10 },
              () => ["faulty.garbage", "faulty.500", "down.now"],
            )
              .flat();
            for (const [i, method] of faults.entries()) {
              const [answer, ms] = await timed(alice.request({ type: "rpc", id: `f${i}`, method }));
              assert.deepEqual([answer.type, answer.code, answer.retry], [
                "error",
                "INTERNAL",
                true,
              ], method);
              assert.ok(ms < SLOW_LIMIT_MS + MARGIN_MS, `${method} answered after ${ms} ms`);
            }
            assert.equal((await alice.request({ type: "ping", id: "p2" })).type, "pong");
            assert.equal((await hub.health()).status, 200);
            // The aborted and failed calls left no descriptor behind (a few
            // pooled keep-alive connections to the backend may come and go).
            const fdsAfter = descriptors(hub.pid);
            assert.ok(fdsAfter <= fdsBefore + 2, `descriptors ${fdsBefore} -> ${fdsAfter}`);
            // Every call is counted, its failures too.
            const metrics = await (await fetch(`${hub.http}/metrics`, {
              headers: { authorization: `Bearer ${ADMIN_KEY}` },
            })).text();
            const calls = Number(
              metrics.match(/realtime_handler_calls_total\{handler="proxy_rpc"\} (\d+)/)?.[1],
            );
            const errors = Number(
              metrics.match(/realtime_handler_errors_total\{handler="proxy_rpc"\} (\d+)/)?.[1],
            );
            assert.ok(calls >= 37, `proxy_rpc calls: ${calls}`);
            assert.ok(errors >= 32, `proxy_rpc errors: ${errors}`);
          },
        );

        await t.step(
          "backend down: an upgrade is refused with INTERNAL, a publish fails closed, the hub stays healthy",
          async () => {
            const cookie = await login(backend, "dave");
            await backend.stop();
            const [status, body] = await withTimeout(
              rawRequest(hub.port, "GET", "/ws", {
                host: `127.0.0.1:${hub.port}`,
                upgrade: "websocket",
                connection: "Upgrade",
                "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
                "sec-websocket-version": "13",
                "sec-websocket-protocol": "realtime.v1",
                cookie,
              }),
              2000 + MARGIN_MS,
              "the refused upgrade",
            );
            assert.equal(status, 500);
            assert.equal(JSON.parse(body).code, "INTERNAL");
            // Publications through a publish proxy that is down fail closed too.
            const refused = await alice.request({
              type: "publish",
              id: 9,
              topic: "chat:room",
              payload: { text: "x" },
            });
            assert.deepEqual([refused.code, refused.retry], ["INTERNAL", true]);
            assert.equal((await bob.request({ type: "ping", id: "p3" })).type, "pong");
            assert.equal((await hub.health()).status, 200);
            assert.ok(!hub.stderr().includes(PROXY_SECRET));
            assert.ok(!hub.stderr().includes("oh darn"), "the audit carries no payloads");
            assert.match(hub.stderr(), /"event":"proxy.call"/);
          },
        );
      } finally {
        await alice.close().catch(() => {});
        await bob.close().catch(() => {});
      }
    },
  });
}
