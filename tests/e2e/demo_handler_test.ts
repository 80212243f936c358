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

Deno.test("createDemoHandler serves the page, styles and prebuilt scripts with a strict CSP", async () => {
  const handler = createDemoHandler();
  for (
    const [path, type] of [
      ["/", "text/html"],
      ["/demo.css", "text/css"],
      ["/assets/demo.js", "text/javascript"],
    ]
  ) {
    const response = await handler(new Request(ORIGIN + path));
    assert.equal(response.status, 200, path);
    assert.ok(response.headers.get("content-type")!.startsWith(type), path);
    assert.equal(response.headers.get("content-security-policy"), DEMO_CSP);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    await response.body?.cancel();
  }
  assert.match(DEMO_CSP, /default-src 'self'/);
  assert.match(DEMO_CSP, /connect-src 'self' ws: wss:/);
  const html = await (await handler(new Request(ORIGIN + "/"))).text();
  assert.match(html, /data-dev="false"/);
  assert.match(html, /<script type="module" src="\/assets\/demo.js"><\/script>/);
  assert.doesNotMatch(html, /<script>|style=/, "nothing inline");
  assert.equal((await handler(new Request(ORIGIN + "/nope"))).status, 404);
  assert.equal((await handler(new Request(ORIGIN + "/", { method: "POST" }))).status, 405);
  assert.equal(
    (await handler(new Request(ORIGIN + "/assets/demo.js", { method: "POST" }))).status,
    405,
  );
  for (const path of ["/assets/nope.js", "/assets/../deno.json", "/assets/demo.ts", "/assets/"]) {
    const response = await handler(new Request(ORIGIN + path));
    assert.equal(response.status, 404, path);
    await response.body?.cancel();
  }
});

Deno.test("createDemoHandler serves every chunk the script imports, chunks cached for good", async () => {
  const handler = createDemoHandler();
  const entry = await handler(new Request(ORIGIN + "/assets/demo.js"));
  assert.equal(entry.headers.get("cache-control"), "no-cache", "the entry is revalidated");
  const imports = (js: string) => [...js.matchAll(/"\.\/([^"]+\.js)"/g)].map(([, name]) => name);
  const seen = imports(await entry.text());
  assert.ok(seen.some((name) => name.startsWith("_signing-")), "signing is a chunk of its own");
  assert.ok(seen.some((name) => name.startsWith("_queries-")), "so are history and presence");
  for (let i = 0; i < seen.length; i++) {
    const response = await handler(new Request(`${ORIGIN}/assets/${seen[i]}`));
    assert.equal(response.status, 200, seen[i]);
    assert.equal(response.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(response.headers.get("content-security-policy"), DEMO_CSP);
    for (const name of imports(await response.text())) if (!seen.includes(name)) seen.push(name);
  }
  assert.ok(seen.length >= 4, `${seen.length} chunks`);
});

Deno.test("createDemoHandler answers 304 to a request with the script's ETag", async () => {
  const handler = createDemoHandler();
  const first = await handler(new Request(ORIGIN + "/assets/demo.js"));
  const etag = first.headers.get("etag");
  await first.body?.cancel();
  assert.match(etag ?? "", /^"[0-9a-f]{24}"$/);
  const again = await handler(
    new Request(ORIGIN + "/assets/demo.js", { headers: { "if-none-match": `"x", ${etag}` } }),
  );
  assert.equal(again.status, 304);
  assert.equal(again.headers.get("etag"), etag);
  assert.equal(await again.text(), "");
});

Deno.test("createDemoHandler loads its scripts once, on the first request for one", async () => {
  let loads = 0;
  const handler = createDemoHandler({
    scripts: () => (loads++, Promise.resolve({ "demo.js": "/* demo */" })),
  });
  await (await handler(new Request(ORIGIN + "/"))).text();
  assert.equal(loads, 0, "not for the page");
  assert.equal(await (await handler(new Request(ORIGIN + "/assets/demo.js"))).text(), "/* demo */");
  await (await handler(new Request(ORIGIN + "/assets/demo.js"))).text();
  assert.equal(loads, 1);
});

Deno.test("createDemoHandler explains on the page when the script cannot be loaded", async () => {
  const handler = createDemoHandler({
    scripts: () => Promise.reject(new Error("Module not found")),
  });
  const response = await handler(new Request(ORIGIN + "/assets/demo.js"));
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.match(await response.text(), /The demo script could not be loaded: Module not found/);
});

Deno.test("createDemoHandler answers POST /dev/token with 404 without a minter", async () => {
  const handler = createDemoHandler();
  const response = await handler(post({ sub: "alice" }));
  assert.equal(response.status, 404);
  await response.body?.cancel();
});

Deno.test("createDemoHandler validates mint requests and refuses other sites", async () => {
  const minted: [string, number][] = [];
  const handler = createDemoHandler({
    mint: (sub, ttl) => (minted.push([sub, ttl]), Promise.resolve("a.b.c")),
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
