/**
 * The accept path's CPU without sockets, against the floor every
 * authenticated server pays (jose's HS256 check, as `bare-deno-jwt` does
 * it): `hub.admit` on an upgrade request with the token in the subprotocol
 * list, and admit plus `connect`, open, one subscribe and the end-of-turn
 * flush to a socket that keeps nothing, then the close.
 *
 * Run: `deno bench --allow-env bench/accept_bench.ts`.
 *
 * @module
 */

import { jwtVerify, SignJWT } from "jose";
import { composeHub } from "../src/hub/hub.ts";
import type { HubSocket } from "../src/hub/transport.ts";
import { BENCH_LIMITS, BENCH_RULES, BENCH_SECRET } from "./_config.ts";
import { SLOW_ITERATIONS } from "./_micro.ts";

const flushes: (() => void)[] = [];
const hub = composeHub({
  auth: { secret: BENCH_SECRET, algorithms: ["HS256"] },
  acl: { rules: BENCH_RULES },
  limits: BENCH_LIMITS,
  log: () => {},
}, {
  upgrade: () => Promise.resolve(new Response(null, { status: 501 })),
  schedule: (fn) => flushes.push(fn),
});
const secret = new TextEncoder().encode(BENCH_SECRET);
const key = await crypto.subtle.importKey(
  "raw",
  secret,
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["verify"],
);
const token = await new SignJWT({ roles: ["member"] }).setProtectedHeader({ alg: "HS256" })
  .setSubject("u1").setExpirationTime("2h").sign(secret);
const protocols = `realtime.v1.batch,realtime.v1,auth,${token}`;
const subscribe = JSON.stringify({ type: "subscribe", topic: "room:u1", id: 1 });
let sink: unknown;

class NullSocket implements HubSocket {
  bufferedAmount = 0;
  send(_text: string): void {}
  close(_code: number, _reason: string): void {}
}

function request(): Request {
  return new Request("http://127.0.0.1:8000/ws", {
    headers: {
      host: "127.0.0.1:8000",
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-protocol": protocols,
    },
  });
}

Deno.bench({
  name: "jose jwtVerify HS256 (the floor: bare-deno-jwt's check)",
  group: "accept",
  baseline: true,
  ...SLOW_ITERATIONS,
  fn: async () => {
    const offered = (request().headers.get("sec-websocket-protocol") ?? "").split(",")
      .map((p) => p.trim());
    sink = await jwtVerify(offered[offered.indexOf("auth") + 1], key, { algorithms: ["HS256"] });
  },
});

Deno.bench({
  name: "hub.admit (HS256 token in the subprotocol list)",
  group: "accept",
  ...SLOW_ITERATIONS,
  fn: async () => {
    sink = await hub.admit(request(), { remoteAddr: "127.0.0.1", transport: "bench" });
  },
});

Deno.bench({
  name: "hub.admit + connect, open, subscribe, flush, close",
  group: "accept",
  ...SLOW_ITERATIONS,
  fn: async () => {
    const admission = await hub.admit(request(), { remoteAddr: "127.0.0.1", transport: "bench" });
    if (!admission.ok) throw new Error("Refused");
    const handler = hub.connect(new NullSocket(), admission);
    handler.open();
    handler.message(subscribe);
    while (flushes.length > 0) flushes.shift()!();
    handler.close(1000);
  },
});

globalThis.addEventListener("unload", () => void sink);
