import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { shiftedClock, signup, startAccountsServer } from "./_server.ts";
import { connectWelcomed, withTimeout } from "../_support/client.ts";
import { ManualClock } from "../_support/manual_clock.ts";
import { rawRequest } from "../_support/raw_http.ts";
import { SECRET } from "../_support/hub.ts";
import { createAccountsHandler } from "../../src/accounts/handler.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";

const PASSWORD = "correct horse battery";

Deno.test("POST /auth/refresh rotates: a new refresh token each time, the access token carries the session", async () => {
  await using server = await startAccountsServer();
  const first = await signup(server, "alice");
  const res = await server.post("/auth/refresh", { refreshToken: first.refreshToken });
  assert.equal(res.status, 200);
  const second = await res.json();
  assert.notEqual(second.refreshToken, first.refreshToken);
  assert.equal(decodeJwt(second.accessToken).sid, decodeJwt(first.accessToken).sid);
  const third = await (await server.post("/auth/refresh", { refreshToken: second.refreshToken }))
    .json();
  assert.match(third.refreshToken, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(third.refreshToken, second.refreshToken);
});

Deno.test("POST /auth/refresh within the grace returns the current token, not a new lineage", async () => {
  await using server = await startAccountsServer();
  const first = await signup(server, "alice");
  const a = await (await server.post("/auth/refresh", { refreshToken: first.refreshToken })).json();
  server.clock.now += 9_000;
  const b = await (await server.post("/auth/refresh", { refreshToken: first.refreshToken })).json();
  assert.equal(b.refreshToken, a.refreshToken);
  const c = await server.post("/auth/refresh", { refreshToken: a.refreshToken });
  assert.equal(c.status, 200);
  await c.body?.cancel();
});

Deno.test("POST /auth/refresh: ten concurrent refreshes of one token end with one live lineage", async () => {
  await using server = await startAccountsServer();
  const { refreshToken } = await signup(server, "alice");
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => server.post("/auth/refresh", { refreshToken })),
  );
  assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200));
  const tokens = new Set(
    await Promise.all(answers.map(async (r) => (await r.json()).refreshToken)),
  );
  assert.equal(tokens.size, 1);
  const [current] = tokens;
  server.clock.now += 11_000;
  const next = await server.post("/auth/refresh", { refreshToken: current });
  assert.equal(next.status, 200);
  await next.body?.cancel();
});

Deno.test("POST /auth/refresh with a reused token revokes the family and closes the user's hub connection", async () => {
  await using server = await startAccountsServer();
  const first = await signup(server, "alice");
  const second = await (await server.post("/auth/refresh", { refreshToken: first.refreshToken }))
    .json();
  const [socket, welcome] = await connectWelcomed(server.hub.url, {
    protocols: ["realtime.v1", "auth", second.accessToken],
  });
  assert.equal(welcome.user, "alice");
  server.clock.now += 11_000; // past the grace: the old token is now a reuse
  const started = Date.now();
  const reuse = await server.post("/auth/refresh", { refreshToken: first.refreshToken });
  assert.equal(reuse.status, 401);
  assert.equal((await reuse.json()).code, "REFRESH_TOKEN_REUSED");
  const closed = await withTimeout(socket.closed, 1000, "the hub connection to close");
  assert.equal(closed.code, 4003);
  assert.ok(Date.now() - started < 1000);
  assert.ok(
    server.logs.some((e) =>
      e.event === "accounts.refresh_reused" && e.level === "warn" && e.user === "alice"
    ),
  );
  const after = await server.post("/auth/refresh", { refreshToken: second.refreshToken });
  assert.deepEqual([after.status, (await after.json()).code], [401, "INVALID_REFRESH_TOKEN"]);
});

Deno.test("POST /auth/refresh refuses unknown and malformed tokens without echoing them", async () => {
  await using server = await startAccountsServer();
  for (const refreshToken of ["A".repeat(43), "not a token", 17]) {
    const res = await server.post("/auth/refresh", { refreshToken });
    const text = await res.text();
    assert.equal(res.status, 401);
    assert.equal(JSON.parse(text).code, "INVALID_REFRESH_TOKEN");
    assert.ok(!text.includes(String(refreshToken)));
  }
  const none = await server.post("/auth/refresh", {});
  assert.deepEqual([none.status, (await none.json()).code], [400, "INVALID_REQUEST"]);
});

Deno.test("POST /auth/login and /auth/refresh from a browser use the HttpOnly cookie and check Origin", async () => {
  await using server = await startAccountsServer();
  await signup(server, "alice");
  const origin = server.base;
  const csrf = await server.post("/auth/login", { username: "alice", password: PASSWORD }, {
    origin: "https://evil.example",
  });
  assert.deepEqual([csrf.status, (await csrf.json()).code], [403, "ORIGIN_NOT_ALLOWED"]);
  assert.equal(csrf.headers.get("set-cookie"), null);
  const login = await server.post("/auth/login", { username: "alice", password: PASSWORD }, {
    origin,
  });
  assert.equal(login.status, 200);
  assert.equal((await login.json()).refreshToken, undefined);
  const setCookie = login.headers.get("set-cookie")!;
  assert.match(
    setCookie,
    /^realtime_refresh=[A-Za-z0-9_-]{43}; HttpOnly; Secure; SameSite=Strict; Path=\/auth; Max-Age=2592000$/,
  );
  const cookie = setCookie.split(";")[0];
  const foreign = await server.post("/auth/refresh", undefined, {
    cookie,
    origin: "https://evil.example",
  });
  assert.deepEqual([foreign.status, (await foreign.json()).code], [403, "ORIGIN_NOT_ALLOWED"]);
  const missing = await server.post("/auth/refresh", undefined, { cookie });
  assert.deepEqual([missing.status, (await missing.json()).code], [403, "ORIGIN_NOT_ALLOWED"]);
  const ok = await server.post("/auth/refresh", undefined, { cookie, origin });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).refreshToken, undefined);
  assert.notEqual(ok.headers.get("set-cookie")!.split(";")[0], cookie);
});

Deno.test("createAccountsHandler takes no allowed origin from Host: a rebound name, or its own origin unlisted, is refused", async () => {
  await using server = await startAccountsServer();
  const port = Number(new URL(server.base).port);
  const rebound = { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` };
  const account = { username: "mallory", password: PASSWORD };
  for (const path of ["/auth/signup", "/auth/login"]) {
    const [status, text] = await rawRequest(port, "POST", path, rebound, account);
    assert.deepEqual([status, JSON.parse(text).code], [403, "ORIGIN_NOT_ALLOWED"], path);
    assert.equal(text.includes("accessToken"), false);
  }
  assert.equal(await server.store.findUser({ username: "mallory" }), undefined);

  // With no allowedOrigins, no page may use sessions, not even one of the handler's own origin.
  await using strict = await startAccountsServer({ allowedOrigins: undefined });
  await signup(strict, "alice");
  const own = await strict.post("/auth/login", { username: "alice", password: PASSWORD }, {
    origin: strict.base,
  });
  assert.deepEqual([own.status, (await own.json()).code], [403, "ORIGIN_NOT_ALLOWED"]);
  const script = await strict.post("/auth/login", { username: "alice", password: PASSWORD });
  assert.equal(script.status, 200);
  await script.body?.cancel();
  assert.throws(
    () =>
      createAccountsHandler({
        store: strict.store,
        signingKey: { secret: SECRET },
        verifier: createTokenVerifier({ secret: SECRET }),
        allowedOrigins: "*" as never,
      }),
    TypeError,
    "'allowedOrigins' is not a list of origins",
  );
});

Deno.test("POST /auth/refresh dates its access token at the rotation: a revoke landing before the mint refuses it", async () => {
  const clock = shiftedClock();
  await using server = await startAccountsServer({}, clock);
  const { refreshToken } = await signup(server, "alice");
  // An operator's revoke lands after the rotation committed, before the token is minted.
  const rotate = server.store.rotate.bind(server.store);
  server.store.rotate = async (rotation) => {
    const verdict = await rotate(rotation);
    server.hub.hub.revoke({ user: "alice" });
    clock.now += 5;
    return verdict;
  };
  const res = await server.post("/auth/refresh", { refreshToken });
  assert.equal(res.status, 200);
  const principal = await createTokenVerifier({ secret: SECRET }).verify(
    (await res.json()).accessToken,
  );
  assert.equal(server.hub.hub.isRevoked(principal), true);
});

Deno.test("POST /auth/logout revokes the session: its refresh token stops working", async () => {
  await using server = await startAccountsServer();
  const { refreshToken } = await signup(server, "alice");
  const other = await (await server.post("/auth/login", { username: "alice", password: PASSWORD }))
    .json();
  const out = await server.post("/auth/logout", { refreshToken });
  assert.equal(out.status, 204);
  assert.match(out.headers.get("set-cookie")!, /^realtime_refresh=; .*Max-Age=0$/);
  const after = await server.post("/auth/refresh", { refreshToken });
  assert.deepEqual([after.status, (await after.json()).code], [401, "INVALID_REFRESH_TOKEN"]);
  const still = await server.post("/auth/refresh", { refreshToken: other.refreshToken });
  assert.equal(still.status, 200);
  await still.body?.cancel();
});

Deno.test("POST /auth/logout closes that session's live hub connections within 1 s, and only those", async () => {
  await using server = await startAccountsServer();
  const here = await signup(server, "alice");
  const elsewhere =
    await (await server.post("/auth/login", { username: "alice", password: PASSWORD })).json();
  const connect = (token: string) =>
    connectWelcomed(server.hub.url, { protocols: ["realtime.v1", "auth", token] });
  const [ending] = await connect(here.accessToken);
  const [staying] = await connect(elsewhere.accessToken);
  const started = Date.now();
  const out = await server.post("/auth/logout", { refreshToken: here.refreshToken });
  assert.equal(out.status, 204);
  const closed = await withTimeout(ending.closed, 1000, "the session's connection to close");
  assert.deepEqual([closed.code, closed.reason], [4003, "Session ended"]);
  assert.ok(Date.now() - started < 1000);
  // The other session is untouched, and the ended one's access token is refused.
  assert.equal((await staying.request({ type: "ping", id: 1 })).type, "pong");
  await assert.rejects(connect(here.accessToken));
  const [again, welcome] = await connect(elsewhere.accessToken);
  assert.equal(welcome.user, "alice");
  await again.close();
  await staying.close();
});

Deno.test("POST /auth/password changes the password and ends the user's other sessions", async () => {
  await using server = await startAccountsServer();
  const here = await signup(server, "alice");
  const elsewhere =
    await (await server.post("/auth/login", { username: "alice", password: PASSWORD })).json();
  const [socket] = await connectWelcomed(server.hub.url, {
    protocols: ["realtime.v1", "auth", elsewhere.accessToken],
  });
  const wrong = await server.post(
    "/auth/password",
    { currentPassword: "not the password", newPassword: "a brand new passphrase" },
    { authorization: `Bearer ${here.accessToken}` },
  );
  assert.deepEqual([wrong.status, (await wrong.json()).code], [401, "INVALID_CREDENTIALS"]);
  const res = await server.post(
    "/auth/password",
    { currentPassword: PASSWORD, newPassword: "a brand new passphrase" },
    { authorization: `Bearer ${here.accessToken}` },
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.sessionsEnded, 1);
  assert.equal(
    (await withTimeout(socket.closed, 1000, "the other connection to close")).code,
    4003,
  );
  const other = await server.post("/auth/refresh", { refreshToken: elsewhere.refreshToken });
  assert.deepEqual([other.status, (await other.json()).code], [401, "INVALID_REFRESH_TOKEN"]);
  const mine = await server.post("/auth/refresh", { refreshToken: here.refreshToken });
  assert.equal(mine.status, 200);
  await mine.body?.cancel();
  // The new access token is accepted by the hub despite the revocation.
  const [again, welcome] = await connectWelcomed(server.hub.url, {
    protocols: ["realtime.v1", "auth", body.accessToken],
  });
  assert.equal(welcome.user, "alice");
  await again.close();
  const old = await server.post("/auth/login", { username: "alice", password: PASSWORD });
  assert.equal(old.status, 401);
  await old.body?.cancel();
  const fresh = await server.post("/auth/login", {
    username: "alice",
    password: "a brand new passphrase",
  });
  assert.equal(fresh.status, 200);
  await fresh.body?.cancel();
});

Deno.test("createAccountsHandler logs usernames and events, never a password or a token", async () => {
  await using server = await startAccountsServer();
  const first = await signup(server, "alice");
  const wrong = await server.post("/auth/login", {
    username: "alice",
    password: "wrong passphrase",
  });
  await wrong.body?.cancel();
  const second = await (await server.post("/auth/refresh", { refreshToken: first.refreshToken }))
    .json();
  server.clock.now += 11_000;
  const reuse = await server.post("/auth/refresh", { refreshToken: first.refreshToken });
  await reuse.body?.cancel();
  const again = await (await server.post("/auth/login", { username: "alice", password: PASSWORD }))
    .json();
  const change = await server.post(
    "/auth/password",
    { currentPassword: PASSWORD, newPassword: "a brand new passphrase" },
    { authorization: `Bearer ${again.accessToken}` },
  );
  const changed = await change.json();
  const out = await server.post("/auth/logout", { refreshToken: again.refreshToken });
  await out.body?.cancel();
  const events = server.logs.map((e) => e.event);
  for (
    const event of [
      "accounts.signup",
      "accounts.login_failed",
      "accounts.refresh_reused",
      "accounts.login",
      "accounts.password_changed",
      "accounts.logout",
    ]
  ) assert.ok(events.includes(event), `${event} in ${events}`);
  const text = JSON.stringify(server.logs);
  const secrets = [
    PASSWORD,
    "wrong passphrase",
    "a brand new passphrase",
    first.refreshToken,
    first.accessToken,
    second.refreshToken,
    again.refreshToken,
    again.accessToken,
    changed.accessToken,
  ];
  for (const secret of secrets) assert.ok(!text.includes(secret));
});

Deno.test("POST /auth/login in the same second as a reuse revocation gets a token the hub accepts", async () => {
  // Both clocks stand still: the hub revokes at .400 of a second and the
  // login mints at .700 of the same second. With iat alone (seconds) the hub
  // could not tell that token from one issued before the revocation.
  const second = Math.floor(Date.now() / 1000) * 1000;
  const hubClock = new ManualClock(second + 400);
  const clock = { now: second + 400 };
  await using server = await startAccountsServer({}, clock, { clock: hubClock });
  const first = await signup(server, "alice");
  await (await server.post("/auth/refresh", { refreshToken: first.refreshToken })).body?.cancel();
  clock.now += 11_000;
  hubClock.advance(11_000);
  const reuse = await server.post("/auth/refresh", { refreshToken: first.refreshToken });
  assert.equal((await reuse.json()).code, "REFRESH_TOKEN_REUSED");
  clock.now += 300;
  const login = await server.post("/auth/login", { username: "alice", password: PASSWORD });
  const { accessToken } = await login.json();
  assert.equal(decodeJwt(accessToken).iat, (second + 11_000) / 1000);
  const [socket, welcome] = await connectWelcomed(server.hub.url, {
    protocols: ["realtime.v1", "auth", accessToken],
  });
  assert.equal(welcome.user, "alice");
  socket.close();
});
