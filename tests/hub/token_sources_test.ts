// Every token source over real sockets, on both transports.

import assert from "node:assert/strict";
// @ts-types="../_support/ws.d.ts"
import WebSocketClient from "ws";
import { connectWelcomed, TestSocket, withTimeout } from "../_support/client.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";

const http = (url: string) => url.replace(/^ws/, "http");

function upgradeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    ...extra,
  };
}

eachTransport(
  "upgrade accepts a token in the subprotocol list and answers realtime.v1",
  async (t) => {
    await using h = await startTestHub(t);
    const token = await h.token({ sub: "alice" });
    const [socket, welcome] = await connectWelcomed(h.url, {
      protocols: ["realtime.v1", "auth", token],
    });
    assert.equal(socket.ws.protocol, "realtime.v1");
    assert.equal(welcome.user, "alice");
    assert.equal(typeof welcome.connectionId, "string");
    await socket.close();
  },
);

eachTransport("upgrade accepts the seed form ['auth', token] and answers auth", async (t) => {
  await using h = await startTestHub(t);
  const token = await h.token({ sub: "alice" });
  const [socket] = await connectWelcomed(h.url, { protocols: ["auth", token] });
  assert.equal(socket.ws.protocol, "auth");
  await socket.close();
});

eachTransport(
  "upgrade accepts a subprotocol list written without spaces (Node ws client)",
  async (t) => {
    await using h = await startTestHub(t);
    const token = await h.token({ sub: "alice" });
    const ws = new WebSocketClient(h.url, ["realtime.v1", "auth", token]);
    const welcome = await withTimeout(
      new Promise<Record<string, unknown>>((resolve, reject) => {
        ws.on("message", (data) => resolve(JSON.parse(String(data))));
        ws.on("error", reject);
        ws.on("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      }),
      3000,
      "welcome",
    );
    assert.equal(welcome.type, "welcome");
    assert.equal(ws.protocol, "realtime.v1");
    const closed = new Promise((resolve) => ws.on("close", resolve));
    ws.close();
    await closed;
  },
);

eachTransport("upgrade accepts an Authorization bearer header", async (t) => {
  await using h = await startTestHub(t);
  const token = await h.token({ sub: "bob" });
  const [socket, welcome] = await connectWelcomed(h.url, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(welcome.user, "bob");
  await socket.close();
});

eachTransport("upgrade accepts a query token and never logs it", async (t) => {
  await using h = await startTestHub(t);
  const token = await h.token({ sub: "carol" });
  const [socket, welcome] = await connectWelcomed(`${h.url}?token=${token}`);
  assert.equal(welcome.user, "carol");
  await socket.close();
  const bad = new TestSocket(`${h.url}?token=${token}x`);
  await assert.rejects(bad.opened);
  assert.ok(!JSON.stringify(h.logs).includes(token), "a log line contains the token");
});

eachTransport("upgrade accepts a cookie token only from an allowed origin", async (t) => {
  await using h = await startTestHub(t, {
    tokenSources: { cookie: "rt_token" },
    allowedOrigins: ["https://app.example"],
  });
  const token = await h.token({ sub: "dave" });
  const [socket, welcome] = await connectWelcomed(h.url, {
    headers: { cookie: `other=1; rt_token=${token}`, origin: "https://app.example" },
  });
  assert.equal(welcome.user, "dave");
  await socket.close();
  for (const origin of [undefined, "https://evil.example"]) {
    const headers: Record<string, string> = upgradeHeaders({ cookie: `rt_token=${token}` });
    if (origin !== undefined) headers.origin = origin;
    const res = await fetch(http(h.url), { headers });
    assert.equal(res.status, 403, `origin ${origin}`);
    assert.deepEqual(await res.json(), { code: "FORBIDDEN", message: "Origin is not allowed" });
  }
});

eachTransport("upgrade refuses a disallowed Origin with 403 even with a valid token", async (t) => {
  await using h = await startTestHub(t, { allowedOrigins: ["https://app.example"] });
  const token = await h.token({ sub: "erin" });
  const res = await fetch(`${http(h.url)}?token=${token}`, {
    headers: upgradeHeaders({ origin: "https://evil.example" }),
  });
  assert.equal(res.status, 403);
  await res.body?.cancel();
});

eachTransport("first-message auth answers welcome with the request id", async (t) => {
  await using h = await startTestHub(t);
  const token = await h.token({ sub: "frank" });
  const socket = new TestSocket(h.url);
  await socket.opened;
  const early = await socket.request({ type: "subscribe", id: "early", topic: "chat:x" });
  assert.equal(early.code, "AUTH_FAILED");
  const pong = await socket.request({ type: "ping", id: 1 });
  assert.equal(pong.type, "pong");
  const welcome = await socket.request({ type: "auth", id: "a1", token });
  assert.equal(welcome.type, "welcome");
  assert.equal(welcome.user, "frank");
  await socket.close();
});

eachTransport("first-message auth with a bad token gets AUTH_FAILED then close 4001", async (t) => {
  await using h = await startTestHub(t);
  const socket = new TestSocket(h.url);
  await socket.opened;
  const error = await socket.request({ type: "auth", id: 1, token: "not.a.jwt" });
  assert.equal(error.code, "AUTH_FAILED");
  assert.equal(error.retry, false);
  assert.equal((await socket.closed).code, 4001);
});

eachTransport("first-message auth closes with 4001 after its deadline", async (t) => {
  await using h = await startTestHub(t, { firstMessageTimeoutMs: 100 });
  const socket = new TestSocket(h.url);
  await socket.opened;
  const closed = await withTimeout(socket.closed, 3000, "close");
  assert.equal(closed.code, 4001);
  assert.equal(closed.reason, "Authentication timeout");
});

eachTransport("upgrade without token and without first-message auth is a 401", async (t) => {
  await using h = await startTestHub(t, { tokenSources: { firstMessage: false } });
  const res = await fetch(http(h.url), { headers: upgradeHeaders() });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
  assert.deepEqual(await res.json(), { code: "AUTH_FAILED", message: "Token is missing" });
});

eachTransport("upgrade with an invalid token is a 401 with a JSON body", async (t) => {
  await using h = await startTestHub(t);
  const token = await h.token({ sub: "gina" }, { ttl: 1, now: () => Date.now() - 60_000 });
  const res = await fetch(http(h.url), {
    headers: upgradeHeaders({ authorization: `Bearer ${token}` }),
  });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
  const body = await res.json();
  assert.equal(body.code, "TOKEN_EXPIRED");
  assert.ok(!JSON.stringify(body).includes(token));
});

eachTransport("reject 'close' mode upgrades and closes with 4001 and the reason", async (t) => {
  await using h = await startTestHub(t, { reject: "close" });
  const socket = new TestSocket(`${h.url}?token=garbage`);
  const closed = await withTimeout(socket.closed, 3000, "close");
  assert.equal(closed.code, 4001);
  assert.ok(closed.reason.length > 0);
});

eachTransport("a plain HTTP request to the WebSocket path is answered 426", async (t) => {
  await using h = await startTestHub(t);
  const res = await fetch(http(h.url));
  assert.equal(res.status, 426);
  await res.body?.cancel();
});
