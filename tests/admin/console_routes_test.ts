// The console's admin routes over real HTTP and WebSockets on both
// transports: listings, rules read and lint (changing nothing), explain,
// and the live stream behind the admin credential.

import assert from "node:assert/strict";
import { createAdminHandler } from "../../src/admin/handler.ts";
import { createConsoleFeed } from "../../src/admin/console/feed.ts";
import { createSseParser, type ServerSentEvent } from "../../src/admin/console/sse.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { createHub } from "../../mod.ts";
import type { HubOptions } from "../../src/hub/options.ts";
import { serve, type Transport } from "../../src/server/serve.ts";
import { mintToken } from "../../src/auth/mint.ts";
import { connectWelcomed, type TestSocket, withTimeout } from "../_support/client.ts";
import { eachTransport, SECRET } from "../_support/hub.ts";
import { ADMIN_KEY, adminToken, adminVerifier, call } from "./_helpers.ts";
import type { AdminOptions } from "../../src/admin/options.ts";

const P = "/v1/realtime";

const RULES = [
  { id: "chat", effect: "allow", actions: ["subscribe", "publish"], topics: ["chat:*"] },
  { id: "no-announce", effect: "deny", actions: ["publish"], topics: ["chat:announce"] },
] as const;

interface Fixture extends AsyncDisposable {
  base: string;
  ws: string;
  audit: LogEntry[];
  feed: ReturnType<typeof createConsoleFeed>;
  open(sub: string): Promise<TestSocket>;
}

/** A hub and its admin API (with the console feed) on one port, on `transport`. */
async function start(
  transport: Transport,
  hubOptions: Partial<HubOptions> = {},
  adminOptions: Partial<AdminOptions> = {},
): Promise<Fixture> {
  const hub = createHub({
    auth: { secret: SECRET },
    acl: { rules: [...RULES] },
    log: () => {},
    ...hubOptions,
  } as HubOptions);
  const audit: LogEntry[] = [];
  const feed = createConsoleFeed(hub);
  const admin = createAdminHandler(hub, {
    apiKey: ADMIN_KEY,
    audit: (e) => audit.push(e),
    feed,
    ...adminOptions,
  });
  const server = await serve(hub, {
    port: 0,
    hostname: "127.0.0.1",
    transport,
    fetch: async (req) => (await admin(req)) ?? new Response("app", { status: 418 }),
  });
  const sockets: TestSocket[] = [];
  const ws = `ws://127.0.0.1:${server.port}/ws`;
  return {
    base: `http://127.0.0.1:${server.port}`,
    ws,
    audit,
    feed,
    async open(sub) {
      const token = await mintToken({ sub }, { secret: SECRET }, { ttl: "1h" });
      const [socket] = await connectWelcomed(ws, { protocols: ["realtime.v1", "auth", token] });
      sockets.push(socket);
      return socket;
    },
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) await socket.close();
      feed.close();
      await hub.close();
      await server.close();
    },
  };
}

/** Reads server-sent events from a fetch response until `done` says stop. */
async function readEvents(
  res: Response,
  done: (event: ServerSentEvent, all: ServerSentEvent[]) => boolean,
  timeoutMs = 5000,
): Promise<ServerSentEvent[]> {
  const all: ServerSentEvent[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let finished = false;
  const parse = createSseParser((event) => {
    all.push(event);
    if (done(event, all)) finished = true;
  });
  try {
    await withTimeout(
      (async () => {
        while (!finished) {
          const { value, done: end } = await reader.read();
          if (end) throw new Error("Stream ended early");
          parse(value);
        }
      })(),
      timeoutMs,
      "the expected events",
    );
  } finally {
    await reader.cancel();
  }
  return all;
}

/** Waits for `check` to hold, looking every 10 ms, failing after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

eachTransport("GET /connections lists user, address, transport, subscriptions", async (t) => {
  await using f = await start(t);
  const alice = await f.open("alice");
  await f.open("bob");
  await alice.request({ type: "subscribe", id: 1, topic: "chat:lobby" });
  const all = await call(f.base, "GET", `${P}/connections`);
  assert.equal(all.status, 200, all.text);
  assert.equal(all.json.total, 2);
  const row = all.json.connections.find((c: { user: string }) => c.user === "alice");
  assert.equal(row.remoteAddr, "127.0.0.1");
  assert.equal(row.transport, t);
  assert.equal(row.subscriptions, 1);
  assert.equal(typeof row.queuedBytes, "number");
  const searched = await call(f.base, "GET", `${P}/connections?search=BOB`);
  assert.deepEqual(searched.json.connections.map((c: { user: string }) => c.user), ["bob"]);
  assert.equal(searched.json.matched, 1);
  const page = await call(f.base, "GET", `${P}/connections?offset=1&limit=1`);
  assert.equal(page.json.connections.length, 1);
  assert.equal(page.json.connections[0].user, "bob");
});

Deno.test("GET /connections refuses an out-of-range limit and a non-number offset", async () => {
  await using f = await start("deno");
  for (const query of ["limit=0", "limit=501", "offset=-1", "offset=abc"]) {
    const res = await call(f.base, "GET", `${P}/connections?${query}`);
    assert.equal(res.status, 400, query);
    assert.equal(res.json.code, "BAD_REQUEST");
  }
  const refused = await call(f.base, "GET", `${P}/connections`, {
    credential: "wrong-key-0123456789",
  });
  assert.equal(refused.status, 401);
});

Deno.test("GET /topics lists topics most subscribers first", async () => {
  await using f = await start("deno");
  const alice = await f.open("alice");
  const bob = await f.open("bob");
  await alice.request({ type: "subscribe", id: 1, topic: "chat:a" });
  await alice.request({ type: "subscribe", id: 2, topic: "chat:b" });
  await bob.request({ type: "subscribe", id: 1, topic: "chat:b" });
  const res = await call(f.base, "GET", `${P}/topics`);
  assert.deepEqual(res.json.topics, [
    { topic: "chat:b", subscribers: 2 },
    { topic: "chat:a", subscribers: 1 },
  ]);
  assert.equal(res.json.total, 2);
});

Deno.test("POST /rules/check lints rules without applying them", async () => {
  await using f = await start("deno");
  const before = await call(f.base, "GET", `${P}/rules`);
  assert.deepEqual(before.json.rules, RULES);
  const bad = [
    { effect: "allow", actions: ["subscribe"], topics: ["chat:**:x"] },
    ...RULES,
  ];
  const res = await call(f.base, "POST", `${P}/rules/check`, { body: { rules: bad } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.errors, 1);
  assert.equal(res.json.issues[0].severity, "error");
  assert.equal(res.json.issues[0].rule, 0);
  const shadowed = await call(f.base, "POST", `${P}/rules/check`, {
    body: {
      rules: [
        { effect: "deny", actions: "*", topics: ["chat:**"] },
        { id: "never", effect: "allow", actions: ["subscribe"], topics: ["chat:x"] },
      ],
    },
  });
  assert.equal(shadowed.json.errors, 0);
  assert.equal(shadowed.json.warnings, 1);
  const after = await call(f.base, "GET", `${P}/rules`);
  assert.deepEqual(after.json.rules, RULES, "checking changed nothing");
  assert.ok(f.audit.some((e) => e.event === "admin.rules_check" && e.actor === "api_key"));
});

Deno.test("POST /acl/explain names the deny rule, as acl explain does", async () => {
  await using f = await start("deno");
  const denied = await call(f.base, "POST", `${P}/acl/explain`, {
    body: { claims: { sub: "alice" }, action: "publish", topic: "chat:announce" },
  });
  assert.equal(denied.status, 200, denied.text);
  assert.equal(denied.json.allowed, false);
  assert.equal(denied.json.reason, "rule");
  assert.equal(denied.json.rule.id, "no-announce");
  assert.equal(
    denied.json.message,
    "denied by rule #1 'no-announce' (deny publish chat:announce)",
  );
  const allowed = await call(f.base, "POST", `${P}/acl/explain`, {
    body: { claims: { sub: "alice" }, action: "subscribe", topic: "chat:lobby" },
  });
  assert.equal(allowed.json.allowed, true);
  for (
    const body of [
      { claims: [], action: "publish", topic: "chat:x" },
      { claims: {}, action: "shout", topic: "chat:x" },
      { claims: {}, action: "publish", topic: "" },
    ]
  ) {
    const res = await call(f.base, "POST", `${P}/acl/explain`, { body });
    assert.equal(res.status, 400, JSON.stringify(body));
  }
});

eachTransport("GET /stream sends history, then live snapshots, and stops when left", async (t) => {
  await using f = await start(t);
  assert.equal(f.feed.sampling, false, "nothing runs before anyone watches");
  const refused = await fetch(f.base + `${P}/stream`);
  assert.equal(refused.status, 401);
  await refused.body?.cancel();
  assert.equal(f.feed.viewers, 0);

  const res = await fetch(f.base + `${P}/stream`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  await f.open("alice");
  const events = await readEvents(res, (e) => {
    if (e.event !== "snapshot") return false;
    const s = JSON.parse(e.data);
    return s.point.connections === 1 && s.connections.connections[0]?.user === "alice";
  });
  assert.equal(events[0].event, "history");
  assert.ok(f.audit.some((e) => e.event === "admin.stream"));
  await until(() => f.feed.viewers === 0, "the viewer to leave");
  assert.equal(f.feed.sampling, false, "the timer stops with the last viewer");
});

Deno.test("GET /stream refuses a viewer past the bound with 503", async () => {
  const hub = createHub({ auth: { secret: SECRET }, log: () => {} });
  const feed = createConsoleFeed(hub, { maxViewers: 1 });
  const admin = createAdminHandler(hub, { apiKey: ADMIN_KEY, audit: () => {}, feed });
  const req = () =>
    new Request(`http://localhost${P}/stream`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
  const first = await admin(req());
  assert.equal(first?.status, 200);
  const second = await admin(req());
  assert.equal(second?.status, 503);
  assert.equal(second?.headers.get("retry-after"), "5");
  await second?.body?.cancel();
  await first?.body?.cancel();
  assert.equal(feed.viewers, 0);
  feed.close();
  await hub.close();
});

eachTransport("GET /stream ends once the admin JWT behind it is revoked", async (t) => {
  await using f = await start(t, {}, { verifier: adminVerifier() });
  const jwt = await adminToken({ sub: "ops", roles: ["admin"] });
  const res = await fetch(f.base + `${P}/stream`, { headers: { authorization: `Bearer ${jwt}` } });
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("event: snapshot")) {
    const { value, done } = await withTimeout(reader.read(), 5000, "a first snapshot");
    assert.equal(done, false);
    text += value;
  }
  const revoked = await call(f.base, "POST", `${P}/revoke`, { body: { user: "ops" } });
  assert.equal(revoked.status, 200);
  // The stream ends by itself: no snapshot reaches a revoked admin for long.
  await withTimeout(
    (async () => {
      while (!(await reader.read()).done) { /* snapshots sent before the check */ }
    })(),
    5000,
    "the stream to end",
  );
  assert.ok(f.audit.some((e) => e.event === "admin.stream_ended" && e.actor === "ops"));
  await until(() => f.feed.viewers === 0, "the viewer to be gone");
});
