// AccountsSession against a real accounts handler and a real hub over
// 127.0.0.1, the hub, the handler and the client all on one ManualClock:
// access-token expiry followed by a silent refresh, and a signed-out session
// closing its connection without a reconnect loop.

import assert from "node:assert/strict";
import {
  AccountsSession,
  memoryRefreshTokenStorage,
  RealtimeClient,
  RealtimeError,
  type RefreshTokenStorage,
} from "../../src/client/mod.ts";
import { createAccountsHandler } from "../../src/accounts/handler.ts";
import { createSqliteStore } from "../../src/accounts/sqlite_store.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { SECRET, startTestHub, type TestHub } from "../_support/hub.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import type { Transport } from "../../src/server/serve.ts";
import { collect, next } from "./_helpers.ts";
import { startServer } from "../../src/server/start.ts";

const PASSWORD = "correct horse battery";

interface Rig extends AsyncDisposable {
  clock: ManualClock;
  hub: TestHub;
  auth: string;
  session(storage?: RefreshTokenStorage): AccountsSession;
}

/** A hub and the accounts routes (2 min access tokens, chat rooms for everyone). */
async function startRig(transport: Transport): Promise<Rig> {
  const clock = new ManualClock(Date.now());
  const hub = await startTestHub(transport, { clock, tokenExpiringLeadMs: 30_000 });
  const store = createSqliteStore(":memory:");
  const accounts = createAccountsHandler({
    store,
    signingKey: { secret: SECRET },
    verifier: createTokenVerifier({ secret: SECRET, now: clock.now }),
    hub: hub.hub,
    now: clock.now,
    accessTtlSeconds: 120,
    newUser: () => ({ roles: [], acl: { "chat:*": ["subscribe", "publish"] } }),
    log: () => {},
  });
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: resolve },
    async (req, info) => (await accounts(req, info)) ?? new Response(null, { status: 404 }),
  );
  const auth = `http://127.0.0.1:${(await promise).port}/auth`;
  const close = async () => {
    await server.shutdown();
    await hub.close();
    await store.close();
  };
  return {
    clock,
    hub,
    auth,
    session: (storage = memoryRefreshTokenStorage()) =>
      new AccountsSession({ baseUrl: auth, refreshToken: storage }),
    [Symbol.asyncDispose]: close,
  };
}

/** A client on the rig's clock whose getToken calls are counted. */
function connect(rig: Rig, session: AccountsSession): { rt: RealtimeClient; calls: () => number } {
  let calls = 0;
  const rt = new RealtimeClient({
    url: rig.hub.url,
    getToken: () => (calls++, session.getToken()),
    clock: rig.clock,
    heartbeatMs: 0,
  });
  return { rt, calls: () => calls };
}

Deno.test("AccountsSession.getToken keeps a RealtimeClient connected across access-token expiry", async () => {
  await using rig = await startRig("deno");
  const storage = memoryRefreshTokenStorage();
  const session = rig.session(storage);
  await session.signup("alice", PASSWORD);
  const firstRefresh = storage.get();
  const { rt, calls } = connect(rig, session);
  await using _rt = rt;
  const received = collect(rt, "chat:lobby", 1);
  await received.ready;
  const connection = rt.connectionId;
  const firstExp = rt.expiresAt!;
  assert.equal(rt.user, "alice");

  const refreshed = next(rt, "refresh");
  rig.clock.advance(91_000); // token_expiring, 30 s before exp
  const [{ expiresAt }] = await refreshed;
  assert.ok(expiresAt! > firstExp);
  assert.notEqual(storage.get(), firstRefresh, "the refresh token rotated");

  rig.clock.advance(60_000); // past the first access token's exp
  await using other = new RealtimeClient({
    url: rig.hub.url,
    token: await rig.hub.token({ sub: "bob", acl: { "chat:*": ["publish"] } }, {
      now: rig.clock.now,
    }),
    clock: rig.clock,
    heartbeatMs: 0,
  });
  await other.publish("chat:lobby", "still here");
  assert.deepEqual(await received.messages, ["still here"]);
  assert.equal(rt.connectionId, connection, "no reconnect happened");
  assert.equal(rt.state, "open");
  assert.equal(calls(), 2);
});

Deno.test("RealtimeClient on a session logged out elsewhere is closed at once (4003), no reconnect; the session learns it at its next refresh", async () => {
  await using rig = await startRig("ws");
  const storage = memoryRefreshTokenStorage();
  const session = rig.session(storage);
  await session.signup("alice", PASSWORD);
  const signedOut = Promise.withResolvers<string>();
  session.on("signedout", ({ reason, error }) => signedOut.resolve(`${reason} ${error?.code}`));
  const { rt, calls } = connect(rig, session);
  await using _rt = rt;
  await rt.opened();

  // Another tab sharing the session logs out: the server revokes the refresh
  // token and the hub ends the session's connections without waiting for a refresh.
  const refreshToken = storage.get() as string;
  const closed = next(rt, "state", (s) => s === "closed");
  const out = await fetch(`${rig.auth}/logout`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ refreshToken }),
  });
  assert.equal(out.status, 204);
  const [, change] = await closed;
  assert.ok(change.error instanceof RealtimeError);
  assert.deepEqual([change.error.code, change.error.retry], ["FORBIDDEN", false]);
  assert.ok(!change.error.message.includes(refreshToken));

  await assert.rejects(session.getToken(), { code: "AUTH_FAILED", retry: false });
  assert.equal(await signedOut.promise, "refused INVALID_REFRESH_TOKEN");
  assert.equal(session.user, undefined);
  assert.equal(storage.get(), undefined, "the refused token is forgotten");

  // No reconnect loop: every client timer runs on this clock, and none reconnects.
  rig.clock.advance(300_000);
  assert.equal(rt.state, "closed");
  assert.equal(calls(), 1);
  await assert.rejects(rt.publish("chat:lobby", "x"), { code: "CLOSED" });
});

Deno.test("RealtimeClient is closed at once (4003) after AccountsSession.logout in the same process", async () => {
  await using rig = await startRig("deno");
  const session = rig.session();
  await session.signup("alice", PASSWORD);
  const { rt } = connect(rig, session);
  await using _rt = rt;
  await rt.opened();
  const closed = next(rt, "state", (s) => s === "closed");
  await session.logout();
  assert.equal(session.accessToken, undefined);
  const [, change] = await closed;
  assert.deepEqual([change.error?.code, change.error?.retry], ["FORBIDDEN", false]);
});

Deno.test("RealtimeClient backs off and asks again when getToken throws a retryable RealtimeError", async () => {
  await using hub = await startTestHub("ws");
  let calls = 0;
  await using rt = new RealtimeClient({
    url: hub.url,
    getToken: () => {
      if (++calls === 1) {
        throw new RealtimeError("AUTH_FAILED", "Cannot refresh the session now", { retry: true });
      }
      return hub.token({ sub: "alice" });
    },
    backoff: { baseMs: 1, maxMs: 1 },
  });
  const [, change] = await next(rt, "state", (s) => s === "reconnecting");
  assert.equal(change.attempt, 0);
  await rt.opened();
  assert.equal(calls, 2);
  assert.equal(rt.user, "alice");
});

Deno.test("AccountsSession: login, concurrent getToken calls share one rotation, wrong password", async () => {
  await using rig = await startRig("deno");
  const storage = memoryRefreshTokenStorage();
  await rig.session().signup("alice", PASSWORD);
  const session = rig.session(storage);
  const signedIn: string[] = [];
  session.on("signedin", (user) => signedIn.push(user.username));
  const wrong = await session.login("alice", "not the password").catch((e) => e);
  assert.deepEqual([wrong.name, wrong.code, wrong.status], [
    "AccountsError",
    "INVALID_CREDENTIALS",
    401,
  ]);
  assert.ok(!wrong.message.includes("not the password"));
  assert.equal(session.user, undefined);
  const user = await session.login("alice", PASSWORD);
  assert.equal(user.username, "alice");
  assert.equal((session.user as { username: string } | undefined)?.username, "alice");
  const before = storage.get();
  const [a, b] = await Promise.all([session.getToken(), session.getToken()]);
  assert.equal(a, b, "one request for both callers");
  assert.equal(a, session.accessToken);
  assert.notEqual(storage.get(), before);
  // The next call rotates again from the stored (current) token.
  const again = await session.getToken();
  assert.notEqual(again, undefined);
  assert.deepEqual(signedIn, ["alice", "alice", "alice"]);
});

Deno.test("AccountsSession refuses bad options with a TypeError or RangeError", () => {
  assert.throws(() => new AccountsSession({ baseUrl: "" }), TypeError);
  assert.throws(
    () => new AccountsSession({ baseUrl: "/auth", refreshToken: {} as RefreshTokenStorage }),
    /'refreshToken' is neither "cookie" nor a storage/,
  );
  assert.throws(() => new AccountsSession({ baseUrl: "/auth", timeoutMs: 0 }), RangeError);
});

Deno.test("AccountsSession says in words what it cannot do with a name that is not a string", async () => {
  const session = new AccountsSession({ baseUrl: "/auth" });
  const bad = 42 as unknown as string;
  await assert.rejects(
    () => session.signup(bad, "pw"),
    new TypeError("Cannot sign up: username and password must be strings, got number and string"),
  );
  await assert.rejects(
    () => session.login("alice", bad),
    new TypeError("Cannot log in: username and password must be strings, got string and number"),
  );
});

Deno.test("AccountsSession.getToken on an unreachable server throws AUTH_FAILED with retry", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const session = new AccountsSession({
    baseUrl: `http://127.0.0.1:${port}/auth`,
    refreshToken: { get: () => "stored", set: () => {}, delete: () => {} },
  });
  const error = await session.getToken().catch((e) => e);
  assert.deepEqual([error.code, error.retry], ["AUTH_FAILED", true]);
  assert.ok(!error.message.includes("stored"));
});

Deno.test("AccountsSession signs up on the /auth that deno task start mounts and connects with it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using started = await startServer({ port: 0 }, {
      devKeyDir: `${dir}/.realtime`,
      log: () => {},
      fetch: () => new Response(null, { status: 404 }),
    });
    const session = new AccountsSession({
      baseUrl: `http://127.0.0.1:${started.server.port}/auth`,
      refreshToken: memoryRefreshTokenStorage(),
    });
    await session.signup("carol", PASSWORD);
    await using rt = new RealtimeClient({
      url: started.url,
      token: session.accessToken,
      getToken: session.getToken,
    });
    const received = collect(rt, "user:carol", 1);
    await received.ready; // the development grants: the user's own topic
    await started.hub.publish("user:carol", "hello carol");
    assert.deepEqual(await received.messages, ["hello carol"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
