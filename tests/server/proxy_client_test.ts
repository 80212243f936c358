// The proxies' HTTP client against a real backend on 127.0.0.1 (Deno.serve):
// the hub's JWT, forwarded headers, the bound on calls in flight, no retry,
// time limits, and one audit entry per call without the payload.

import assert from "node:assert/strict";
import { jwtVerify } from "jose";
import {
  createProxyClient,
  MAX_PROXY_ANSWER_BYTES,
  type ProxyOutcome,
} from "../../src/server/proxy/proxy_client.ts";
import type { LogEntry } from "../../src/hub/log.ts";
import { HubError } from "../../src/protocol/errors.ts";

const SECRET = "a-proxy-secret-of-at-least-32-bytes!";

interface Backend extends AsyncDisposable {
  url: string;
  requests: { method: string; headers: Headers; body: string }[];
  /** Calls being answered now, and the most at once. */
  running: { now: number; most: number };
  /** Releases the calls held at `/hold` now. */
  release(): void;
  /** Resolves once `n` requests arrived. */
  untilRequests(n: number): Promise<void>;
}

function startBackend(answer: (req: Request) => Response | Promise<Response>): Backend {
  const requests: Backend["requests"] = [];
  const running = { now: 0, most: 0 };
  let gate = Promise.withResolvers<void>();
  const waiters: [number, () => void][] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    requests.push({ method: req.method, headers: req.headers, body: await req.text() });
    for (const [n, wake] of waiters) if (requests.length >= n) wake();
    running.now++;
    running.most = Math.max(running.most, running.now);
    try {
      if (new URL(req.url).pathname === "/hold") await gate.promise;
      return await answer(req);
    } finally {
      running.now--;
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    running,
    untilRequests(n) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push([n, resolve]));
    },
    release() {
      gate.resolve();
      gate = Promise.withResolvers<void>();
    },
    async [Symbol.asyncDispose]() {
      gate.resolve();
      await server.shutdown();
    },
  };
}

Deno.test("createProxyClient signs each call, forwards chosen headers and returns the result", async () => {
  await using backend = startBackend(() => Response.json({ result: { data: 42 } }));
  const audit: LogEntry[] = [];
  const client = createProxyClient({
    secret: SECRET,
    maxConcurrent: 4,
    audit: (e) => audit.push(e),
  });
  const result = await client.call({
    kind: "connect",
    endpoint: { url: `${backend.url}/connect`, headers: ["cookie", "x-tenant"] },
    headers: new Headers({ cookie: "session=abc", "x-tenant": "acme", "x-other": "no" }),
    body: { secretPayload: "do-not-log" },
    user: "alice",
  });
  assert.deepEqual(result, { data: 42 });
  const [req] = backend.requests;
  assert.equal(req.method, "POST");
  assert.equal(req.headers.get("cookie"), "session=abc");
  assert.equal(req.headers.get("x-tenant"), "acme");
  assert.equal(req.headers.get("x-other"), null);
  assert.deepEqual(JSON.parse(req.body), { secretPayload: "do-not-log" });
  const token = req.headers.get("authorization")!.slice("Bearer ".length);
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
    issuer: "realtime-hub",
    audience: "realtime-backend",
    algorithms: ["HS256"],
  });
  assert.equal(protectedHeader.alg, "HS256");
  assert.equal(payload.proxy, "connect");
  assert.ok(payload.exp! - payload.iat! <= 60);
  assert.equal(audit.length, 1);
  assert.equal(audit[0].event, "proxy.call");
  assert.equal(audit[0].outcome, "ok");
  assert.ok(!JSON.stringify(audit).includes("do-not-log"));
  assert.ok(!JSON.stringify(audit).includes(backend.url));
});

Deno.test("createProxyClient maps refusals, bad answers and errors to codes, without retrying", async () => {
  await using backend = startBackend((req) => {
    switch (new URL(req.url).pathname) {
      case "/refuse":
        return Response.json({ error: { code: "FORBIDDEN", message: "Cannot: not yours" } });
      case "/odd-code":
        return Response.json({ error: { code: "NOPE" } });
      case "/500":
        return new Response("boom", { status: 500 });
      case "/html":
        return new Response("<html>", { status: 200 });
      case "/array":
        return Response.json([1]);
      default:
        return Response.json({});
    }
  });
  const outcomes: ProxyOutcome[] = [];
  const client = createProxyClient({
    secret: SECRET,
    maxConcurrent: 4,
    count: (_kind, outcome) => outcomes.push(outcome),
  });
  const codeOf = (path: string) =>
    client.call({ kind: "publish", endpoint: { url: `${backend.url}${path}` }, body: {} }).then(
      () => "ok",
      (e: HubError) => `${e.code}:${e.retry}:${e.message}`,
    );
  assert.equal(await codeOf("/refuse"), "FORBIDDEN:false:Cannot: not yours");
  assert.equal(await codeOf("/odd-code"), "FORBIDDEN:false:Refused by the publish backend");
  assert.match(await codeOf("/500"), /^INTERNAL:true:The publish backend answered HTTP 500/);
  assert.match(await codeOf("/html"), /^INTERNAL:true:.*not JSON/);
  assert.match(await codeOf("/array"), /^INTERNAL:true:.*not a JSON object/);
  assert.equal(await codeOf("/empty"), "ok");
  // One request per call: nothing is retried.
  assert.equal(backend.requests.length, 6);
  assert.deepEqual(outcomes, ["refused", "refused", "failed", "failed", "failed", "ok"]);
});

Deno.test("createProxyClient reads at most MAX_PROXY_ANSWER_BYTES of an answer, declared or streamed", async () => {
  const json = '{"result":{"n":1}}';
  const padded = (size: number) => json + " ".repeat(size - json.length);
  const streamed = (text: string) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          const bytes = new TextEncoder().encode(text);
          for (let at = 0; at < bytes.length; at += 64 * 1024) {
            controller.enqueue(bytes.subarray(at, at + 64 * 1024));
          }
          controller.close();
        },
      }),
    );
  await using backend = startBackend((req) => {
    switch (new URL(req.url).pathname) {
      case "/declared":
        return new Response(padded(MAX_PROXY_ANSWER_BYTES + 1));
      case "/streamed":
        return streamed(padded(MAX_PROXY_ANSWER_BYTES + 1));
      default:
        return streamed(padded(MAX_PROXY_ANSWER_BYTES));
    }
  });
  const client = createProxyClient({ secret: SECRET, maxConcurrent: 4 });
  const outcomeOf = (path: string) =>
    client.call({ kind: "rpc", endpoint: { url: `${backend.url}${path}` }, body: {} }).then(
      (result) => JSON.stringify(result),
      (e: HubError) => `${e.code}:${e.message}`,
    );
  const tooLarge = `INTERNAL:The rpc backend answered more than ${MAX_PROXY_ANSWER_BYTES} bytes`;
  assert.equal(await outcomeOf("/declared"), tooLarge);
  assert.equal(await outcomeOf("/streamed"), tooLarge);
  assert.equal(await outcomeOf("/at-the-bound"), '{"n":1}');
});

Deno.test("createProxyClient bounds calls in flight; a waiting call times out with TIMEOUT", async () => {
  await using backend = startBackend(() => Response.json({ result: { n: 1 } }));
  const client = createProxyClient({ secret: SECRET, maxConcurrent: 2 });
  const held = { url: `${backend.url}/hold`, timeoutMs: 5000 };
  const calls = [1, 2, 3, 4].map(() => client.call({ kind: "rpc", endpoint: held, body: {} }));
  // The third and fourth wait for a place; one with a short limit gives up.
  const started = performance.now();
  const waiting = await client.call({
    kind: "rpc",
    endpoint: { url: `${backend.url}/fast`, timeoutMs: 200 },
    body: {},
  }).catch((e: HubError) => e);
  const waited = performance.now() - started;
  assert.ok(waiting instanceof HubError);
  assert.deepEqual([waiting.code, waiting.retry], ["TIMEOUT", true]);
  assert.ok(waited >= 150 && waited < 1200, `gave up after ${waited} ms`);
  assert.equal(client.inFlight, 2);
  backend.release();
  // The first two answer; only then do the other two reach the backend.
  await Promise.all(calls.slice(0, 2));
  await backend.untilRequests(4);
  backend.release();
  await Promise.all(calls);
  assert.equal(backend.running.most, 2);
  assert.equal(client.inFlight, 0);
});

Deno.test("createProxyClient answers INTERNAL for an unreachable backend and TIMEOUT for a slow one", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const client = createProxyClient({ secret: SECRET, maxConcurrent: 2 });
  const down = await client.call({
    kind: "rpc",
    endpoint: { url: `http://127.0.0.1:${closedPort}/x` },
    body: {},
  }).catch((e: HubError) => e);
  assert.deepEqual([(down as HubError).code, (down as HubError).retry], ["INTERNAL", true]);
  await using backend = startBackend(() => Response.json({}));
  const started = performance.now();
  const slow = await client.call({
    kind: "rpc",
    endpoint: { url: `${backend.url}/hold`, timeoutMs: 300 },
    body: {},
  }).catch((e: HubError) => e);
  const took = performance.now() - started;
  assert.equal((slow as HubError).code, "TIMEOUT");
  assert.ok(took >= 250 && took < 1300, `TIMEOUT after ${took} ms`);
  assert.equal(client.inFlight, 0);
});
