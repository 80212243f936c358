// The refresh proxy, with a real server (startServer) and a real HTTP
// backend (Deno.serve on 127.0.0.1): a session the connect proxy admitted
// with an expiry is extended by the backend past that expiry, ended when the
// backend refuses, and closed at its expiry when the backend is down; a
// token's session still gets `token_expiring` and no call.

import assert from "node:assert/strict";
import { connectWelcomed } from "../_support/client.ts";
import { freePort } from "../_support/fastapi.ts";
import { startServer } from "../../src/server/start.ts";
import { mintToken } from "../../src/auth/mint.ts";

const JWT_SECRET = "test-secret-of-at-least-32-bytes-long!!";
const PROXY_SECRET = "proxy-secret-of-at-least-32-bytes!!";
const FIRST_TTL_MS = 1500;

/** A backend: /connect admits `session=s-<user>` for FIRST_TTL_MS; /refresh extends twice, then refuses. */
function startBackend() {
  const refreshes: { at: number; body: Record<string, unknown> }[] = [];
  let waiter: (() => void) | undefined;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    if (!req.headers.get("authorization")?.startsWith("Bearer ")) {
      return new Response(null, { status: 401 });
    }
    const path = new URL(req.url).pathname;
    const body = await req.json();
    if (path === "/connect") {
      const user = /session=s-(\w+)/.exec(req.headers.get("cookie") ?? "")?.[1];
      if (user === undefined) return Response.json({});
      return Response.json({
        result: { user, acl: { "chat:*": ["subscribe"] }, expiresAt: Date.now() + FIRST_TTL_MS },
      });
    }
    refreshes.push({ at: Date.now(), body });
    waiter?.();
    if (refreshes.length <= 2) return Response.json({ result: { expiresAt: Date.now() + 2500 } });
    return Response.json({ error: { code: "FORBIDDEN", message: "Session ended" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    refreshes,
    async nextRefresh(count: number): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (refreshes.length < count) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for refresh ${count}`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          waiter = resolve;
          timer = setTimeout(resolve, deadline - Date.now());
        });
        clearTimeout(timer);
      }
    },
    close: () => server.shutdown(),
  };
}

function start(connectUrl: string, refreshUrl: string) {
  return startServer({
    port: 0,
    hostname: "127.0.0.1",
    demo: false,
    metrics: "off",
    accounts: false,
    auth: { secret: JWT_SECRET },
    tokenExpiringLeadMs: 1000,
    proxy: {
      secret: PROXY_SECRET,
      connect: { url: `${connectUrl}/connect` },
      refresh: { url: `${refreshUrl}/refresh` },
    },
  }, { log: () => {} });
}

Deno.test("the refresh proxy extends a connect-proxy session past its expiry, and ends it when refused", async () => {
  const backend = startBackend();
  const started = await start(backend.url, backend.url);
  try {
    const [socket, welcome] = await connectWelcomed(started.url.replace("localhost", "127.0.0.1"), {
      protocols: ["realtime.v1"],
      headers: { cookie: "session=s-alice" },
    });
    assert.equal(welcome.user, "alice");
    const firstExpiry = welcome.expiresAt as number;
    assert.ok(firstExpiry > 0);

    await backend.nextRefresh(2);
    // The second extension is asked for after the first expiry passed: the
    // session lives on, and still answers.
    assert.ok(backend.refreshes[1].at > firstExpiry);
    assert.equal(
      (await socket.request({ type: "subscribe", id: 1, topic: "chat:a" })).type,
      "ack",
    );
    assert.equal(backend.refreshes[0].body.user, "alice");
    assert.equal(
      (backend.refreshes[0].body.connection as Record<string, unknown>).id,
      welcome.connectionId,
    );

    await backend.nextRefresh(3);
    const error = await socket.next((f) => f.type === "error", 5000);
    assert.equal(error.code, "TOKEN_EXPIRED");
    assert.equal((await socket.closed).code, 4001);
    assert.equal(socket.pending.some((f) => f.type === "token_expiring"), false);
  } finally {
    await started.close();
    await backend.close();
  }
});

Deno.test("the refresh proxy is not asked about a token's session: its client gets token_expiring", async () => {
  const backend = startBackend();
  const started = await start(backend.url, backend.url);
  try {
    const token = await mintToken({ sub: "bob" }, { secret: JWT_SECRET }, { ttl: 2 });
    const [socket] = await connectWelcomed(
      `${started.url.replace("localhost", "127.0.0.1")}?token=${token}`,
      { protocols: ["realtime.v1"] },
    );
    const expiring = await socket.next((f) => f.type === "token_expiring", 5000);
    assert.ok(expiring.expiresAt > 0);
    assert.equal((await socket.closed).code, 4001);
    assert.equal(backend.refreshes.length, 0);
  } finally {
    await started.close();
    await backend.close();
  }
});

Deno.test("the refresh proxy down: the session closes at its expiry with TOKEN_EXPIRED", async () => {
  const backend = startBackend();
  const down = `http://127.0.0.1:${freePort()}`;
  const started = await start(backend.url, down);
  try {
    const [socket, welcome] = await connectWelcomed(started.url.replace("localhost", "127.0.0.1"), {
      protocols: ["realtime.v1"],
      headers: { cookie: "session=s-carol" },
    });
    assert.equal(welcome.user, "carol");
    const error = await socket.next((f) => f.type === "error", 5000);
    assert.equal(error.code, "TOKEN_EXPIRED");
    assert.equal((await socket.closed).code, 4001);
    assert.ok((started.hub.metrics.handlerErrors.get("proxy_refresh") ?? 0) >= 1);
    assert.equal(socket.pending.some((f) => f.type === "token_expiring"), false);
  } finally {
    await started.close();
    await backend.close();
  }
});
