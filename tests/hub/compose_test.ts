// The hub composes: an application's own authentication, and mounting as a
// plain handler inside another framework's routes.

import assert from "node:assert/strict";
import { Hono } from "hono";
import { connectWelcomed, TestSocket } from "../_support/client.ts";
import { createHub } from "../../src/server/create_hub.ts";
import { serve } from "../../src/server/serve.ts";
import type { Principal } from "../../src/auth/principal.ts";

Deno.test("authenticate hook replaces tokens with the application's session lookup", async () => {
  const sessions = new Map<string, Principal>([
    ["s3cr3t-session", {
      sub: "alice",
      roles: ["member"],
      claims: { sub: "alice" },
      expiresAt: null,
    }],
  ]);
  const hub = createHub({
    authenticate: (req) => {
      const cookie = req.headers.get("cookie") ?? "";
      const id = /(?:^|;\s*)sid=([^;]+)/.exec(cookie)?.[1];
      return id === undefined ? undefined : sessions.get(id);
    },
    acl: { rules: [{ effect: "allow", actions: ["subscribe"], topics: ["user:{sub}"] }] },
    log: () => {},
  });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    (req, info) => hub.upgrade(req, info),
  );
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/`;
    const [socket, welcome] = await connectWelcomed(url, {
      headers: { cookie: "sid=s3cr3t-session" },
    });
    assert.deepEqual([welcome.user, welcome.expiresAt], ["alice", null]);
    assert.equal(
      (await socket.request({ type: "subscribe", id: 1, topic: "user:alice" })).type,
      "ack",
    );
    await socket.close();
    // No session and no token source that can verify: refused before the upgrade.
    const refused = new TestSocket(url, { headers: { cookie: "sid=unknown" } });
    await assert.rejects(refused.opened);
  } finally {
    await hub.close();
    await server.shutdown();
  }
});

Deno.test("on the ws transport the authenticate hook receives the upgrade as a Request", async () => {
  const seen: { instance: boolean; url: string; cookie: string | null; method: string }[] = [];
  const hub = createHub({
    authenticate: (req) => {
      seen.push({
        instance: req instanceof Request,
        url: req.url,
        cookie: req.headers.get("Cookie"),
        method: req.method,
      });
      return req.headers.get("cookie") === "sid=ok"
        ? { sub: "alice", roles: [], claims: { sub: "alice" }, expiresAt: null }
        : undefined;
    },
    log: () => {},
  });
  await using server = await serve(hub, { port: 0, transport: "ws" });
  try {
    const url = `ws://127.0.0.1:${server.port}/ws?room=1`;
    const [socket, welcome] = await connectWelcomed(url, { headers: { cookie: "sid=ok" } });
    assert.equal(welcome.user, "alice");
    await socket.close();
    assert.deepEqual(seen, [{
      instance: true,
      url: `http://127.0.0.1:${server.port}/ws?room=1`,
      cookie: "sid=ok",
      method: "GET",
    }]);
  } finally {
    await hub.close();
  }
});

Deno.test("hub.handler mounts inside a Hono route without an adapter", async () => {
  const secret = "a-development-secret-of-32-bytes!!";
  const hub = createHub({ auth: { secret }, log: () => {} });
  const app = new Hono();
  app.get("/health", (c) => c.text("ok"));
  app.get("/realtime", (c) => hub.handler(c.req.raw));
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  try {
    const base = `127.0.0.1:${server.addr.port}`;
    assert.equal(await (await fetch(`http://${base}/health`)).text(), "ok");
    const { mintToken } = await import("../../src/auth/mint.ts");
    const token = await mintToken({ sub: "bob" }, { secret });
    const [socket, welcome] = await connectWelcomed(`ws://${base}/realtime`, {
      protocols: ["auth", token],
    });
    assert.equal(welcome.user, "bob");
    await socket.close();
  } finally {
    await hub.close();
    await server.shutdown();
  }
});
