// The demo page's HTTP side without a browser: headers, routes, and minting
// only with the development key. (The browser side is demo_e2e.ts.)

import assert from "node:assert/strict";
import { createDemoHandler, DEMO_CSP } from "../../src/demo/handler.ts";
import { startServer } from "../../src/server/start.ts";
import { RealtimeClient } from "../../src/client/mod.ts";
import { SECRET } from "../_support/hub.ts";

const ORIGIN = "http://127.0.0.1:8000";

function post(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

Deno.test("createDemoHandler serves the page, styles and script with a strict CSP", async () => {
  let bundles = 0;
  const handler = createDemoHandler({ bundle: () => Promise.resolve(`/* ${++bundles} */`) });
  for (
    const [path, type] of [["/", "text/html"], ["/demo.css", "text/css"], [
      "/demo.js",
      "text/javascript",
    ]]
  ) {
    const response = await handler(new Request(ORIGIN + path));
    assert.equal(response.status, 200, path);
    assert.ok(response.headers.get("content-type")!.startsWith(type), path);
    assert.equal(response.headers.get("content-security-policy"), DEMO_CSP);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    await response.body?.cancel();
  }
  await (await handler(new Request(ORIGIN + "/demo.js"))).text();
  assert.equal(bundles, 1, "bundled once");
  assert.match(DEMO_CSP, /default-src 'self'/);
  assert.match(DEMO_CSP, /connect-src 'self' ws: wss:/);
  const html = await (await handler(new Request(ORIGIN + "/"))).text();
  assert.match(html, /data-dev="false"/);
  assert.doesNotMatch(html, /<script>|style=/, "nothing inline");
  assert.equal((await handler(new Request(ORIGIN + "/nope"))).status, 404);
  assert.equal((await handler(new Request(ORIGIN + "/", { method: "POST" }))).status, 405);
});

Deno.test("createDemoHandler explains on the page when the script cannot be built", async () => {
  const handler = createDemoHandler({
    bundle: () => Promise.reject(new Error("Deno.bundle is not available")),
  });
  const script = await (await handler(new Request(ORIGIN + "/demo.js"))).text();
  assert.match(script, /The demo script could not be built: Deno.bundle is not available/);
});

Deno.test("createDemoHandler answers POST /dev/token with 404 without a minter", async () => {
  const handler = createDemoHandler({ bundle: () => Promise.resolve("") });
  const response = await handler(post({ sub: "alice" }));
  assert.equal(response.status, 404);
  await response.body?.cancel();
});

Deno.test("createDemoHandler validates mint requests and refuses other sites", async () => {
  const minted: [string, number][] = [];
  const handler = createDemoHandler({
    mint: (sub, ttl) => (minted.push([sub, ttl]), Promise.resolve("a.b.c")),
    bundle: () => Promise.resolve(""),
  });
  const table: [Request, number, RegExp][] = [
    [post({ sub: "alice" }, { origin: "https://evil.example" }), 403, /demo page only/],
    [post({ sub: "alice" }, { "sec-fetch-site": "cross-site" }), 403, /demo page only/],
    [post("sub=alice", { "content-type": "text/plain" }), 415, /Send a JSON body/],
    [post("{"), 400, /not valid JSON/],
    [post({ sub: "a:b" }), 400, /'sub' must be 1 to 64 characters/],
    [post({ sub: "" }), 400, /'sub' must be/],
    [
      post({ sub: "alice", ttl: 1 }),
      400,
      /'ttl' must be a whole number of seconds from 5 to 86400, got 1/,
    ],
    [post({ sub: "alice", ttl: "1h" }), 400, /got "1h"/],
    [post("x".repeat(2000)), 413, /larger than 1024/],
    [new Request(`${ORIGIN}/dev/token`), 405, /Method not allowed/],
  ];
  for (const [req, status, message] of table) {
    const response = await handler(req);
    assert.equal(response.status, status, message.source);
    assert.match((await response.json()).message, message);
  }
  assert.deepEqual(minted, []);
  const ok = await handler(
    post({ sub: "alice", ttl: 60 }, { origin: ORIGIN, "sec-fetch-site": "same-origin" }),
  );
  assert.deepEqual(await ok.json(), { token: "a.b.c", sub: "alice", ttl: 60 });
  assert.equal(ok.headers.get("cache-control"), "no-store");
  assert.deepEqual(minted, [["alice", 60]]);
});

Deno.test("startServer with the development key mints demo tokens the hub accepts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using started = await startServer({ port: 0 }, { devKeyDir: dir, log: () => {} });
    assert.equal(started.devKey, true);
    const base = `http://127.0.0.1:${started.server.port}`;
    const page = await fetch(base + "/");
    assert.equal(page.headers.get("content-security-policy"), DEMO_CSP);
    assert.match(await page.text(), /data-dev="true"/);
    const response = await fetch(base + "/dev/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub: "dana" }),
    });
    const { token } = await response.json();
    await using rt = new RealtimeClient({ url: `ws://127.0.0.1:${started.server.port}/ws`, token });
    await rt.opened();
    assert.equal(rt.user, "dana");
    await rt.publish("chat:lobby", "hi"); // chat:* publish is granted
    await rt.subscribe("user:dana", () => {}).ready; // and the user's own topic
    await assert.rejects(rt.subscribe("user:erin", () => {}).ready, { code: "FORBIDDEN" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startServer with a configured key serves the page but no /dev/token", async () => {
  await using started = await startServer({ port: 0, auth: { secret: SECRET } }, { log: () => {} });
  assert.equal(started.devKey, false);
  const base = `http://127.0.0.1:${started.server.port}`;
  assert.match(await (await fetch(base + "/")).text(), /data-dev="false"/);
  const response = await fetch(base + "/dev/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub: "mallory" }),
  });
  assert.equal(response.status, 404);
  await response.body?.cancel();
});
