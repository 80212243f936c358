// The token lifecycle against a real hub whose clock the test moves:
// refresh on token_expiring, 4001 handling, dead tokens.

import assert from "node:assert/strict";
import { RealtimeClient, RealtimeError } from "../../src/client/mod.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { CHAT_ACL, collect, next } from "./_helpers.ts";

eachTransport(
  "RealtimeClient refreshes on token_expiring without dropping subscriptions",
  async (t) => {
    const clock = new ManualClock();
    await using h = await startTestHub(t, { clock, tokenExpiringLeadMs: 30_000 });
    const mint = () => h.token({ sub: "alice", acl: CHAT_ACL }, { ttl: 120, now: clock.now });
    let calls = 0;
    await using rt = new RealtimeClient({
      url: h.url,
      getToken: () => (calls++, mint()),
      clock,
      heartbeatMs: 0,
    });
    const received = collect(rt, "chat:lobby", 1);
    await received.ready;
    const connection = rt.connectionId;
    const firstExp = rt.expiresAt!;
    assert.equal(calls, 1);

    const refreshed = next(rt, "refresh");
    clock.advance(91_000);
    const [{ expiresAt }] = await refreshed;
    assert.equal(calls, 2);
    assert.ok(expiresAt! > firstExp);
    assert.equal(rt.expiresAt, expiresAt);

    clock.advance(60_000); // past the first token's exp: the connection lives on
    await using other = new RealtimeClient({ url: h.url, token: await mint(), clock });
    await other.publish("chat:lobby", "still here");
    assert.deepEqual(await received.messages, ["still here"]);
    assert.equal(rt.connectionId, connection, "no reconnect happened");
    assert.equal(rt.state, "open");
  },
);

eachTransport(
  "RealtimeClient without getToken closes with TOKEN_EXPIRED when the token expires",
  async (t) => {
    const clock = new ManualClock();
    await using h = await startTestHub(t, { clock });
    const token = await h.token({ sub: "alice", acl: CHAT_ACL }, { ttl: 60, now: clock.now });
    await using rt = new RealtimeClient({ url: h.url, token, clock, heartbeatMs: 0 });
    await rt.opened();
    const closed = next(rt, "state", (s) => s === "closed");
    clock.advance(61_000);
    const [, change] = await closed;
    assert.deepEqual([change.error?.code, change.error?.closeCode], ["TOKEN_EXPIRED", 4001]);
    assert.match(change.error!.message, /no getToken was given/);
    await assert.rejects(rt.publish("chat:a", 1), { code: "CLOSED" });
  },
);

eachTransport("RealtimeClient after 4001 asks getToken once more and reconnects", async (t) => {
  const clock = new ManualClock();
  await using h = await startTestHub(t, { clock, tokenExpiringLeadMs: 1 });
  const mint = () => h.token({ sub: "alice", acl: CHAT_ACL }, { ttl: 60, now: clock.now });
  // The first refresh fails, so the hub closes at exp; the token after 4001 is good.
  const answers = [mint, () => Promise.reject(new Error("auth service down")), mint];
  let calls = 0;
  await using rt = new RealtimeClient({
    url: h.url,
    getToken: () => answers[calls++](),
    clock,
    heartbeatMs: 0,
  });
  const received = collect(rt, "chat:lobby", 1);
  await received.ready;
  const refreshFailed = next(rt, "error");
  clock.advance(59_999); // token_expiring
  assert.equal((await refreshFailed)[0].code, "AUTH_FAILED");
  const reconnecting = next(rt, "state", (s) => s === "reconnecting");
  clock.advance(1_001); // exp: TOKEN_EXPIRED and 4001
  const [, change] = await reconnecting;
  assert.equal(change.retryInMs, 0, "a new token is tried at once");
  const reopened = next(rt, "state", (s) => s === "open");
  clock.advance(0);
  await reopened;
  assert.equal(calls, 3);
  await rt.publish("chat:lobby", "resubscribed");
  assert.deepEqual(await received.messages, ["resubscribed"]);
});

eachTransport(
  "RealtimeClient stops when the token after 4001 is refused too",
  async (t) => {
    await using h = await startTestHub(t, { reject: "close" });
    // Both issued before the revocation: a new token may pass, these two do not.
    const first = await h.token({ sub: "mallory", acl: CHAT_ACL });
    const second = await h.token({ sub: "mallory", acl: CHAT_ACL });
    h.hub.revoke({ user: "mallory" });
    let calls = 0;
    await using rt = new RealtimeClient({
      url: h.url,
      token: first,
      getToken: () => {
        calls++;
        return second;
      },
      backoff: { baseMs: 5, maxMs: 5 },
    });
    const [, change] = await next(rt, "state", (s) => s === "closed");
    assert.equal(calls, 1, "getToken is asked exactly once after 4001");
    assert.deepEqual(
      [change.error?.code, change.error?.closeCode, change.error?.authReason],
      ["AUTH_FAILED", 4001, "revoked"],
    );
    assert.match(change.error!.message, /also after getToken\(\) gave a new one/);
    assert.ok(!change.error!.message.includes(second), "the token is not in the message");
    assert.equal(rt.state, "closed");
  },
);

Deno.test("RealtimeClient does not connect with a token it knows has expired", async () => {
  await using h = await startTestHub("ws");
  const expired = await h.token({ sub: "alice" }, { ttl: 10, now: () => Date.now() - 60_000 });
  await using rt = new RealtimeClient({ url: h.url, token: expired });
  const [, change] = await next(rt, "state", (s) => s === "closed");
  assert.equal(change.error?.code, "TOKEN_EXPIRED");
  assert.match(
    change.error!.message,
    /^Cannot reconnect: the token expired at .+Z and no getToken/,
  );
  assert.equal(h.hub.connectionCount, 0);
});

Deno.test("RealtimeClient backs off and asks again when getToken throws, and connects once it answers", async () => {
  await using h = await startTestHub("ws");
  // What fetch throws while the browser is offline: no refusal.
  const offline = new TypeError("Failed to fetch");
  let calls = 0;
  await using rt = new RealtimeClient({
    url: h.url,
    backoff: { baseMs: 1, maxMs: 5 },
    getToken: () => ++calls <= 2 ? Promise.reject(offline) : h.token({ sub: "alice" }),
  });
  const seen: string[] = [];
  rt.on("state", (state, change) => seen.push(`${state}:${change.error?.code ?? ""}`));
  await next(rt, "state", (s) => s === "open");
  assert.equal(calls, 3);
  assert.ok(!seen.some((s) => s.startsWith("closed")), `never closed: ${seen.join(", ")}`);
  assert.equal(h.hub.connectionCount, 1);
});

Deno.test("RealtimeClient closes with the refusal when getToken throws a RealtimeError with retry: false", async () => {
  await using h = await startTestHub("ws");
  const refusal = new RealtimeError("AUTH_FAILED", "Signed out", { retry: false });
  let calls = 0;
  await using rt = new RealtimeClient({
    url: h.url,
    getToken: () => (calls++, Promise.reject(refusal)),
  });
  const [, change] = await next(rt, "state", (s) => s === "closed");
  assert.equal(change.error, refusal);
  assert.equal(calls, 1);
});

eachTransport(
  "RealtimeClient reports a subscription the hub ends after a narrower refresh",
  async (t) => {
    const clock = new ManualClock();
    await using h = await startTestHub(t, { clock, tokenExpiringLeadMs: 30_000 });
    let acl: Record<string, string[]> = { ...CHAT_ACL, "news:*": ["subscribe"] };
    await using rt = new RealtimeClient({
      url: h.url,
      getToken: () => h.token({ sub: "alice", acl }, { ttl: 120, now: clock.now }),
      clock,
      heartbeatMs: 0,
    });
    const errors: string[] = [];
    const news = rt.subscribe("news:today", () => {}, { onError: (e) => errors.push(e.code) });
    await Promise.all([news.ready, rt.subscribe("chat:a", () => {}).ready]);
    acl = CHAT_ACL;
    const ended = next(rt, "error");
    clock.advance(91_000);
    const [error] = await ended;
    assert.deepEqual([error.code, error.topic], ["FORBIDDEN", "news:today"]);
    assert.deepEqual(errors, ["FORBIDDEN"]);
    assert.deepEqual(rt.subscriptions, ["chat:a"]);
  },
);

Deno.test(
  "RealtimeClient fetches a fresh token after repeated failures a 401 cannot explain",
  async () => {
    // With reject: "http" a refused upgrade looks like a network failure (1006).
    await using h = await startTestHub("ws");
    const good = await h.token({ sub: "alice" });
    let calls = 0;
    await using rt = new RealtimeClient({
      url: h.url,
      token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln",
      getToken: () => (calls++, good),
      backoff: { baseMs: 5, maxMs: 5 },
    });
    await rt.opened();
    assert.equal(calls, 1);
    assert.equal(rt.user, "alice");
  },
);
