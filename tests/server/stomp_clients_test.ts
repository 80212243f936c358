// The STOMP door against unmodified third-party clients over real sockets,
// on a real hub process (`src/server/main.ts`): @stomp/stompjs from npm,
// raw WebSocket frames for the malformed-frame table, and protocol v1's
// RealtimeClient on the other side. Python's stomp.py is in
// stomp_python_test.ts.

import assert from "node:assert/strict";
import { Client, type IFrame, type IMessage } from "@stomp/stompjs";
import { CLUSTER_SECRET, type HubProcess, startHubProcess } from "../_support/hub_cluster.ts";
import { withTimeout } from "../_support/client.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { RealtimeClient } from "../../src/client/mod.ts";
import { MALFORMED_FRAMES, TABLE_LIMITS } from "../_support/stomp_malformed.ts";

function byteLength(data: string | Uint8Array): number {
  return typeof data === "string" ? new TextEncoder().encode(data).length : data.length;
}

const ADMIN_KEY = "an-admin-key-of-24-chars";
const PROXY_SECRET = "proxy-secret-of-at-least-32-bytes!!";
const WAIT_MS = 10_000;

/** A queue of values with a bounded wait for the next one. */
class Inbox<T> {
  #items: T[] = [];
  #waiters: ((item: T) => void)[] = [];
  push = (item: T): void => {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(item);
    else this.#items.push(item);
  };
  next(what: string): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return withTimeout(new Promise<T>((resolve) => this.#waiters.push(resolve)), WAIT_MS, what);
  }
  get size(): number {
    return this.#items.length;
  }
}

function token(sub: string): Promise<string> {
  return mintToken({ sub }, { secret: CLUSTER_SECRET }, { ttl: "1h" });
}

/** A connected stomp.js client; rejects on an ERROR frame or a close before CONNECTED. */
async function stompjs(
  url: string,
  connectHeaders: Record<string, string>,
): Promise<{ client: Client; errors: Inbox<IFrame>; closes: Inbox<CloseEvent> }> {
  const errors = new Inbox<IFrame>();
  const closes = new Inbox<CloseEvent>();
  const client = new Client({
    brokerURL: url,
    connectHeaders,
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    debug: () => {},
  });
  const connected = new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (frame) => {
      errors.push(frame);
      reject(new Error(`ERROR frame: ${frame.headers.message}`));
    };
    client.onWebSocketClose = (event) => {
      closes.push(event);
      reject(new Error(`Closed before CONNECTED: ${event.code}`));
    };
  });
  client.activate();
  try {
    await withTimeout(connected, WAIT_MS, "CONNECTED");
  } catch (error) {
    await client.deactivate();
    throw error;
  }
  return { client, errors, closes };
}

/** A raw STOMP WebSocket: its messages as text. */
async function rawStomp(url: string): Promise<{
  socket: WebSocket;
  messages: Inbox<string>;
  closed: Promise<CloseEvent>;
}> {
  const socket = new WebSocket(url, ["v12.stomp"]);
  const messages = new Inbox<string>();
  socket.onmessage = (event) => messages.push(String(event.data));
  const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
  await withTimeout(
    new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    }),
    WAIT_MS,
    "raw open",
  );
  return { socket, messages, closed };
}

/** The backend behind the hub's RPC proxy: answers every method with what it was sent. */
function rpcBackend(): { url: string; close(): Promise<void>; calls: unknown[] } {
  const calls: unknown[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    calls.push(body);
    if (body.method === "chat.fail") {
      return Response.json({ error: { code: "FORBIDDEN", message: "Not today" } });
    }
    return Response.json({ result: { data: { echo: body.data, method: body.method } } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/rpc`,
    close: () => server.shutdown(),
    calls,
  };
}

async function startStompHub(backend: string): Promise<HubProcess> {
  return await startHubProcess({
    env: { REALTIME_ADMIN_KEY: ADMIN_KEY },
    config: {
      acl: { rules: [{ effect: "allow", actions: "*", topics: ["chat:**", "news:**"] }] },
      limits: { connectRatePerIp: 1000, connectBurstPerIp: 1000 },
      proxy: { secret: PROXY_SECRET, rpc: [{ methods: ["chat.*"], url: backend }] },
    },
  });
}

Deno.test({
  name: "STOMP door serves @stomp/stompjs, raw frames and protocol v1 clients on one hub",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const backend = rpcBackend();
    const hub = await startStompHub(backend.url);
    const aliceToken = await token("alice");
    await using v1 = new RealtimeClient({ url: hub.url, token: await token("victor") });
    const { client: alice } = await stompjs(hub.url, { passcode: aliceToken });
    try {
      await t.step("a STOMP subscriber receives a v1 client's publications", async () => {
        const inbox = new Inbox<IMessage>();
        const receipt = new Promise<IFrame>((resolve) => alice.watchForReceipt("s1", resolve));
        alice.subscribe("/topic/chat/lobby", inbox.push, { id: "lobby", receipt: "s1" });
        await withTimeout(receipt, WAIT_MS, "subscribe receipt");
        await v1.publish("chat:lobby", { text: "hello" });
        await v1.publish("chat:lobby", "plain words");
        const json = await inbox.next("json message");
        assert.equal(json.headers.subscription, "lobby");
        assert.equal(json.headers.destination, "/topic/chat/lobby");
        assert.equal(json.headers["content-type"], "application/json");
        assert.equal(json.headers.from, "victor");
        assert.ok(json.headers["message-id"]);
        assert.deepEqual(JSON.parse(json.body), { text: "hello" });
        const text = await inbox.next("text message");
        assert.equal(text.headers["content-type"], "text/plain;charset=utf-8");
        assert.equal(text.body, "plain words");
      });

      await t.step("a v1 subscriber receives a STOMP client's SEND, with a receipt", async () => {
        const seen = new Inbox<unknown>();
        const stop = v1.subscribe("chat:room", (m) => seen.push(m.payload));
        try {
          await v1.publish("chat:room", "sync");
          assert.equal(await seen.next("sync"), "sync");
          const receipt = new Promise<IFrame>((resolve) => alice.watchForReceipt("p1", resolve));
          alice.publish({
            destination: "/topic/chat/room",
            body: JSON.stringify({ n: 1 }),
            headers: { "content-type": "application/json", receipt: "p1" },
          });
          await withTimeout(receipt, WAIT_MS, "send receipt");
          assert.deepEqual(await seen.next("json from STOMP"), { n: 1 });
          alice.publish({ destination: "/topic/chat/room", body: "héllo" });
          assert.equal(await seen.next("text from STOMP"), "héllo");
        } finally {
          stop();
        }
      });

      await t.step("a forbidden destination gets an ERROR frame and the close", async () => {
        const { client: eve, errors, closes } = await stompjs(hub.url, {
          passcode: await token("eve"),
        });
        try {
          eve.subscribe("/topic/secret/plans", () => {}, { receipt: "f1" });
          const error = await errors.next("ERROR frame");
          assert.equal(error.headers.code, "FORBIDDEN");
          assert.equal(error.headers["receipt-id"], "f1");
          assert.match(error.headers.message, /secret:plans/);
          await closes.next("close after ERROR");
        } finally {
          await eve.deactivate();
        }
      });

      await t.step("a CONNECT without a token is refused with an ERROR frame", async () => {
        await assert.rejects(() => stompjs(hub.url, {}), /ERROR frame: Token is missing/);
        await assert.rejects(
          () => stompjs(hub.url, { passcode: "not-a-jwt" }),
          /ERROR frame/,
        );
        const { client: bob } = await stompjs(hub.url, {
          Authorization: `Bearer ${await token("bob")}`,
        });
        await bob.deactivate();
      });

      await t.step(
        "SEND to /app/** reaches the RPC proxy; the answer goes to the reply queue",
        async () => {
          const replies = new Inbox<IMessage>();
          alice.subscribe("/user/queue/reply", replies.push, { id: "replies" });
          alice.publish({
            destination: "/app/chat.echo",
            body: JSON.stringify({ q: 42 }),
            headers: { "content-type": "application/json", "correlation-id": "c-1" },
          });
          const reply = await replies.next("rpc reply");
          assert.equal(reply.headers["correlation-id"], "c-1");
          assert.deepEqual(JSON.parse(reply.body), { echo: { q: 42 }, method: "chat.echo" });
          alice.publish({
            destination: "/app/chat.fail",
            body: "x",
            headers: { "correlation-id": "c-2" },
          });
          const refused = await replies.next("rpc refusal");
          assert.equal(refused.headers.error, "FORBIDDEN");
          assert.equal(refused.body, "Not today");
          assert.equal(alice.connected, true);
        },
      );

      await t.step(
        "/user/queue/<event> receives what the admin API sends to the user",
        async () => {
          const alerts = new Inbox<IMessage>();
          const receipt = new Promise<IFrame>((resolve) => alice.watchForReceipt("u1", resolve));
          alice.subscribe("/user/queue/alerts", alerts.push, { id: "alerts", receipt: "u1" });
          await withTimeout(receipt, WAIT_MS, "user queue receipt");
          const res = await fetch(`${hub.http}/v1/realtime/send/alice`, {
            method: "POST",
            headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
            body: JSON.stringify({ event: "alerts", payload: { level: "high" } }),
          });
          assert.equal(res.status, 200, await res.clone().text());
          assert.equal((await res.json()).reached, 1);
          const alert = await alerts.next("user message");
          assert.equal(alert.headers.destination, "/user/queue/alerts");
          assert.deepEqual(JSON.parse(alert.body), { level: "high" });
        },
      );

      await t.step("the admin API lists STOMP connections with transport 'stomp'", async () => {
        const res = await fetch(`${hub.http}/v1/realtime/connections`, {
          headers: { authorization: `Bearer ${ADMIN_KEY}` },
        });
        const page = await res.json();
        const transports = page.connections.map((c: { transport?: string; user?: string }) =>
          `${c.user}:${c.transport}`
        );
        assert.ok(transports.includes("alice:stomp"), JSON.stringify(transports));
      });

      await t.step(
        "every malformed frame gets an ERROR and a close; another client keeps receiving",
        async () => {
          const inbox = new Inbox<IMessage>();
          alice.subscribe("/topic/news/wire", inbox.push, { id: "wire" });
          await v1.publish("news:wire", 0);
          assert.equal((await inbox.next("wire ready")).body, "0");
          for (const [i, bad] of MALFORMED_FRAMES.entries()) {
            const raw = await rawStomp(hub.url);
            raw.socket.send(`CONNECT\naccept-version:1.2\nhost:hub\npasscode:${aliceToken}\n\n\0`);
            assert.match(await raw.messages.next(`${bad.name}: CONNECTED`), /^CONNECTED\n/);
            raw.socket.send(bad.data);
            if (byteLength(bad.data) > TABLE_LIMITS.maxFrameBytes) {
              // Past the WebSocket layer's message bound, the transport closes
              // with 1009 before any frame is read: there is no frame to answer.
              const closed = await withTimeout(raw.closed, WAIT_MS, `${bad.name}: close`);
              assert.equal(closed.code, 1009, bad.name);
            } else {
              const answer = await raw.messages.next(`${bad.name}: ERROR`);
              assert.match(answer, /^ERROR\n/, bad.name);
              assert.match(answer, new RegExp(`\ncode:${bad.code}\n`), bad.name);
              const closed = await withTimeout(raw.closed, WAIT_MS, `${bad.name}: close`);
              assert.notEqual(closed.code, 1000, bad.name);
            }
            // The other connection is unaffected.
            await v1.publish("news:wire", i + 1);
            assert.equal((await inbox.next(`${bad.name}: wire`)).body, String(i + 1));
          }
        },
      );

      await t.step("revocation ends a STOMP session with an ERROR frame", async () => {
        const { client: mallory, errors, closes } = await stompjs(hub.url, {
          passcode: await token("mallory"),
        });
        try {
          const res = await fetch(`${hub.http}/v1/realtime/revoke`, {
            method: "POST",
            headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
            body: JSON.stringify({ user: "mallory" }),
          });
          assert.equal(res.status, 200, await res.clone().text());
          const error = await errors.next("revocation ERROR");
          assert.match(error.headers.message, /revoked/i);
          assert.equal((await closes.next("revocation close")).code, 4003);
        } finally {
          await mallory.deactivate();
        }
      });
    } finally {
      await alice.deactivate();
      await hub.stop();
      await backend.close();
    }
  },
});
