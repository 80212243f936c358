import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { signup, startAccountsServer } from "./_server.ts";
import { createLoginLimiter } from "../../src/accounts/login_limiter.ts";
import { createTokenVerifier } from "../../src/auth/verify.ts";
import { SECRET } from "../_support/hub.ts";
import { createAccountsHandler } from "../../src/accounts/handler.ts";
import { createSqliteStore } from "../../src/accounts/sqlite_store.ts";
import { createHub } from "../../src/server/create_hub.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { renderPrometheus } from "../../src/metrics/prometheus.ts";

const PASSWORD = "correct horse battery";

Deno.test("POST /auth/signup creates a user and issues hub tokens with its roles and acl", async () => {
  await using server = await startAccountsServer({
    newUser: (name) => ({ roles: ["member"], acl: { [`user:${name}`]: ["subscribe"] } }),
  });
  const res = await server.post("/auth/signup", { username: "Alice", password: PASSWORD });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const body = await res.json();
  assert.equal(body.tokenType, "Bearer");
  assert.equal(body.expiresIn, 900);
  assert.match(body.refreshToken, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(body.user.username, "alice");
  const claims = decodeJwt(body.accessToken);
  assert.equal(claims.sub, "alice");
  assert.deepEqual(claims.roles, ["member"]);
  assert.deepEqual(claims.acl, { "user:alice": ["subscribe"] });
  assert.equal(claims.exp! - claims.iat!, 900);
  assert.ok(!JSON.stringify(body).includes(PASSWORD));
  const stored = await server.store.findUser({ username: "alice" });
  assert.match(stored!.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
});

Deno.test("POST /auth/signup refuses a duplicate username and keeps the first password", async () => {
  await using server = await startAccountsServer();
  await signup(server, "alice");
  const res = await server.post("/auth/signup", {
    username: "ALICE",
    password: "another passphrase",
  });
  assert.equal(res.status, 409);
  assert.equal((await res.json()).code, "USERNAME_TAKEN");
  assert.equal(
    (await server.post("/auth/login", { username: "alice", password: PASSWORD })).status,
    200,
  );
});

Deno.test("POST /auth/signup refuses weak, over-long and non-string passwords without storing a user", async () => {
  await using server = await startAccountsServer();
  const cases: [unknown, number, string][] = [
    ["abc12", 400, "WEAK_PASSWORD"],
    ["password", 400, "WEAK_PASSWORD"],
    ["bobbybobby", 400, "WEAK_PASSWORD"],
    ["x".repeat(257), 400, "PASSWORD_TOO_LONG"],
    ["é".repeat(129), 400, "PASSWORD_TOO_LONG"],
    [42, 400, "INVALID_REQUEST"],
  ];
  for (const [password, status, code] of cases) {
    const username = code === "WEAK_PASSWORD" && password === "bobbybobby" ? "bobbybobby" : "bob";
    const res = await server.post("/auth/signup", { username, password });
    const body = await res.json();
    assert.deepEqual([res.status, body.code], [status, code], String(password));
    if (typeof password === "string") assert.ok(!body.message.includes(password));
  }
  assert.deepEqual(await server.store.listUsers(), []);
});

Deno.test("POST /auth/signup refuses bad JSON, a wrong content type, a bad username and a big body", async () => {
  await using server = await startAccountsServer();
  const bad = await server.post("/auth/signup", "{not json");
  assert.deepEqual([bad.status, (await bad.json()).code], [400, "INVALID_REQUEST"]);
  const form = await server.post("/auth/signup", undefined, { "content-type": "text/plain" });
  assert.deepEqual([form.status, (await form.json()).code], [415, "UNSUPPORTED_MEDIA_TYPE"]);
  const array = await server.post("/auth/signup", "[]");
  assert.deepEqual([array.status, (await array.json()).code], [400, "INVALID_REQUEST"]);
  const name = await server.post("/auth/signup", { username: "a b", password: PASSWORD });
  assert.deepEqual([name.status, (await name.json()).code], [400, "INVALID_USERNAME"]);
  // The name of token-less connections: no account, so no token, may carry it.
  const reserved = await server.post("/auth/signup", { username: "Anonymous", password: PASSWORD });
  const refusal = await reserved.json();
  assert.deepEqual([reserved.status, refusal.code], [400, "INVALID_USERNAME"]);
  assert.match(refusal.message, /"anonymous" is reserved/);
  const big = await server.post("/auth/signup", {
    username: "bob",
    password: PASSWORD,
    pad: "x".repeat(9000),
  });
  assert.deepEqual([big.status, (await big.json()).code], [413, "PAYLOAD_TOO_LARGE"]);
  const method = await server.get("/auth/signup");
  assert.deepEqual([method.status, method.headers.get("allow")], [405, "POST"]);
  await method.body?.cancel();
  assert.deepEqual(await server.store.listUsers(), []);
});

Deno.test("POST /auth/login accepts JSON and HTTP Basic credentials", async () => {
  await using server = await startAccountsServer();
  await signup(server, "alice");
  const viaJson = await server.post("/auth/login", { username: "alice", password: PASSWORD });
  assert.equal(viaJson.status, 200);
  assert.equal(decodeJwt((await viaJson.json()).accessToken).sub, "alice");
  const viaBasic = await server.post("/auth/login", undefined, {
    authorization: `Basic ${btoa(`alice:${PASSWORD}`)}`,
  });
  assert.equal(viaBasic.status, 200);
  const body = await viaBasic.json();
  assert.equal(decodeJwt(body.accessToken).sub, "alice");
  assert.match(body.refreshToken, /^[A-Za-z0-9_-]{43}$/);
});

Deno.test("POST /auth/login answers a wrong password and an unknown user identically, after a hash each", async () => {
  await using server = await startAccountsServer({
    limiter: createLoginLimiter({
      perUsernameAndAddress: { burst: 100, refillSeconds: 1 },
      perUsername: { burst: 100, refillSeconds: 1 },
      perAddress: { burst: 100, refillSeconds: 1 },
    }),
  });
  await signup(server, "alice");
  const attempt = async (username: string) => {
    const started = performance.now();
    const res = await server.post("/auth/login", { username, password: "wrong passphrase" });
    const text = await res.text();
    const headers = [...res.headers].filter(([k]) => k !== "date" && k !== "content-length");
    return { ms: performance.now() - started, status: res.status, text, headers };
  };
  await attempt("nobody"); // the dummy hash is made on first use
  const wrong = [], unknown = [];
  for (let i = 0; i < 3; i++) {
    wrong.push(await attempt("alice"));
    unknown.push(await attempt("nobody"));
  }
  assert.equal(wrong[0].status, 401);
  assert.deepEqual(
    unknown.map((u) => [u.status, u.text, u.headers]),
    wrong.map((w) => [w.status, w.text, w.headers]),
  );
  assert.equal(JSON.parse(wrong[0].text).code, "INVALID_CREDENTIALS");
  const median = (xs: { ms: number }[]) => xs.map((x) => x.ms).sort((a, b) => a - b)[1];
  // Without the dummy hash an unknown user answers in about 1 ms, a wrong password in 60+.
  assert.ok(
    median(unknown) > median(wrong) * 0.5,
    `unknown ${median(unknown)} ms, wrong ${median(wrong)} ms`,
  );
});

Deno.test("POST /auth/login is limited per username and per address with 429 and Retry-After", async () => {
  const clock = { now: Date.now() };
  const limiter = createLoginLimiter({
    perUsernameAndAddress: { burst: 3, refillSeconds: 60 },
    perAddress: { burst: 6, refillSeconds: 10 },
    now: () => clock.now,
  });
  await using limited = await startAccountsServer({ limiter }, clock);
  await signup(limited, "alice");
  const login = (username: string, password = "wrong passphrase") =>
    limited.post("/auth/login", { username, password });
  for (let i = 0; i < 3; i++) {
    const res = await login("alice");
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
  const refused = await login("alice", PASSWORD);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "60");
  assert.equal((await refused.json()).code, "RATE_LIMITED");
  // Sign-up and three attempts took four of the address's six.
  for (const name of ["bob", "carol"]) {
    const res = await login(name);
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
  const address = await login("dave");
  assert.equal(address.status, 429);
  assert.equal(address.headers.get("retry-after"), "10");
  await address.body?.cancel();
  clock.now += 60_000;
  const later = await login("alice", PASSWORD);
  assert.equal(later.status, 200);
  await later.body?.cancel();
});

Deno.test("POST /auth/login: five wrong passwords from one address lock out that address only", async () => {
  const clock = { now: Date.now() };
  // The test client is the proxy on 127.0.0.1 and names the client address.
  await using server = await startAccountsServer({
    limiter: createLoginLimiter({ now: () => clock.now }),
    trustProxy: { hops: 1, addresses: ["127.0.0.1"] },
  }, clock);
  const { accessToken } = await signup(server, "victim");
  const from = (address: string) => ({ "x-forwarded-for": address });
  const status = async (res: Response) => {
    await res.body?.cancel();
    return res.status;
  };
  const attacker = from("203.0.113.7");
  const guesses = [];
  for (let i = 0; i < 6; i++) {
    guesses.push(
      await status(
        await server.post("/auth/login", { username: "victim", password: `guess ${i}!` }, attacker),
      ),
    );
  }
  assert.deepEqual(guesses, [401, 401, 401, 401, 401, 429]);
  const victim = from("198.51.100.2");
  const login = await server.post(
    "/auth/login",
    { username: "victim", password: PASSWORD },
    victim,
  );
  assert.equal(login.status, 200);
  await login.body?.cancel();
  // Changing the password, from the victim's address, is not blocked either.
  const change = await server.post(
    "/auth/password",
    { currentPassword: PASSWORD, newPassword: "a brand new passphrase" },
    { authorization: `Bearer ${accessToken}`, ...victim },
  );
  assert.equal(change.status, 200);
  await change.body?.cancel();
  // A minute on, the attacker has one more guess, and still only from its address.
  clock.now += 60_000;
  const again = await server.post(
    "/auth/login",
    { username: "victim", password: "guess 6!" },
    attacker,
  );
  assert.equal(await status(again), 401);
});

Deno.test("GET /auth/me answers the user for a valid access token and 401 otherwise", async () => {
  await using server = await startAccountsServer();
  const { accessToken } = await signup(server, "alice");
  const me = await server.get("/auth/me", { authorization: `Bearer ${accessToken}` });
  assert.equal(me.status, 200);
  const body = await me.json();
  assert.equal(body.username, "alice");
  assert.equal(body.passwordHash, undefined);
  const none = await server.get("/auth/me");
  assert.deepEqual([none.status, (await none.json()).code], [401, "UNAUTHORIZED"]);
  const forged = await server.get("/auth/me", { authorization: `Bearer ${accessToken}x` });
  assert.equal(forged.status, 401);
  await forged.body?.cancel();
});

Deno.test("createAccountsHandler mints with the hub's issuer and audience, which the hub accepts", async () => {
  const hubAuth = { secret: SECRET, issuer: "https://hub.example", audience: "realtime" };
  await using server = await startAccountsServer({
    issuer: hubAuth.issuer,
    audience: hubAuth.audience,
    verifier: createTokenVerifier(hubAuth),
  });
  const { accessToken } = await signup(server, "alice");
  const claims = decodeJwt(accessToken);
  assert.equal(claims.iss, "https://hub.example");
  assert.equal(claims.aud, "realtime");
  const principal = await createTokenVerifier(hubAuth).verify(accessToken);
  assert.equal(principal.sub, "alice");
  const me = await server.get("/auth/me", { authorization: `Bearer ${accessToken}` });
  assert.equal(me.status, 200);
  await me.body?.cancel();
});

Deno.test("createAccountsHandler without connection info warns once and counts every request", async () => {
  await using store = createSqliteStore(":memory:");
  const hub = createHub({ auth: { secret: SECRET } });
  const logs: LogEntry[] = [];
  const handler = createAccountsHandler({
    store,
    signingKey: { secret: SECRET },
    verifier: createTokenVerifier({ secret: SECRET }),
    hub,
    log: (entry) => logs.push(entry),
  });
  try {
    const post = async (path: string, password: string) => {
      const res = (await handler(
        new Request(`http://127.0.0.1/auth/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "alice", password }),
        }),
      ))!;
      await res.body?.cancel();
      return res.status;
    };
    assert.equal(await post("signup", PASSWORD), 201);
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push(await post("login", `wrong guess ${i}`));
    // The per-address limits are off; the username's own limit still holds.
    assert.deepEqual(statuses, [...Array(5).fill(401), ...Array(25).fill(429)]);
    const warnings = logs.filter((e) => e.event === "accounts.client_address_unknown");
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].level, "warn");
    assert.match(String(warnings[0].message), /connection info/);
    assert.equal(hub.metrics.unknownClientIp, 31);
    assert.match(renderPrometheus(hub), /^realtime_unknown_client_ip_total 31$/m);
  } finally {
    await hub.close();
  }
});
